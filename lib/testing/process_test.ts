import assert from "node:assert/strict";

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      // A zombie (state Z) is dead too: only its parent's wait() removes it.
      if ((await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]?.startsWith("Z")) return true;
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

Deno.test("tiedCommand's child is the command itself and dies when its parent is SIGKILLed", async () => {
  const process = new URL("./process.ts", import.meta.url).href;
  // A parent that starts `sleep` through tiedCommand, says its pid, and waits to be killed.
  const parent = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { tiedCommand } from "${process}";
       const child = tiedCommand("sleep", ["60"], { stdin: "null", stdout: "null" }).spawn();
       console.log(child.pid);
       await child.status;`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const { value } = await reader.read();
  const pid = Number(value?.trim());
  assert.ok(pid > 0, `a pid from the parent, got ${JSON.stringify(value)}`);
  try {
    // setpriv execs the command: the pid is sleep's own, not a wrapper's.
    assert.equal((await Deno.readTextFile(`/proc/${pid}/comm`)).trim(), "sleep");
    parent.kill("SIGKILL");
    await parent.status;
    assert.ok(await gone(pid, 5_000), "sleep outlived its SIGKILLed parent");
  } finally {
    await reader.cancel();
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone, as it should be.
    }
  }
});

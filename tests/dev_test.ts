/** The README's first quick-start command, `deno task dev`, does what the README says it does. */
import assert from "node:assert/strict";
import { freePort, tiedCommand } from "@kafka-edge/lib/testing";

/** Collects a child's output and lets the test wait for a line. */
function watch(
  stream: ReadableStream<Uint8Array>,
): { text: () => string; until: (s: string, ms: number) => Promise<void> } {
  let text = "";
  const done = (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  return {
    text: () => text,
    async until(wanted, ms) {
      const deadline = Date.now() + ms;
      while (!text.includes(wanted)) {
        if (Date.now() > deadline) {
          throw new Error(`no "${wanted}" within ${ms} ms; output:\n${text.slice(-4000)}`);
        }
        await Promise.race([done, new Promise((r) => setTimeout(r, 100))]);
      }
    },
  };
}

Deno.test({
  name:
    "deno task dev: the gateway takes the article's event and the worker prints the article's line; Ctrl-C stops all",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const port = freePort();
    const dev = tiedCommand(Deno.execPath(), ["run", "-A", "tools/dev.ts"], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { PORT: String(port) },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const out = watch(dev.stdout);
    const err = watch(dev.stderr);
    try {
      await out.until("kafka-edge is running", 180_000).catch((e) => {
        throw new Error(`${e.message}\nstderr:\n${err.text().slice(-4000)}`);
      });
      // The banner comes only once the gateway is ready, so the README's curl works at once.
      const res = await fetch(`http://127.0.0.1:${port}/v1/topics/logs/events`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"user":"keita","action":"login"}',
      });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.succeeded, 1);
      await out.until("[LOG] User: keita, Action: login", 60_000);
      dev.kill("SIGINT");
      const status = await Promise.race([
        dev.status,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 60_000)),
      ]);
      assert.equal(status?.code, 0, `dev exits 0 on Ctrl-C\n${err.text().slice(-2000)}`);
      const refused = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => false, () => true);
      assert.ok(refused, "the gateway stopped with dev");
    } finally {
      try {
        dev.kill("SIGKILL");
      } catch { /* exited */ }
      await dev.status;
    }
  },
});

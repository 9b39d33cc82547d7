/**
 * Where test fixtures keep what they download or build, so a second run is fast and a fresh machine still
 * needs no manual step. Everything lives under one root (`KAFKA_EDGE_CACHE`, default ~/.cache/kafka-edge).
 */

/** Root of the fixture cache. */
export function cacheRoot(): string {
  const override = Deno.env.get("KAFKA_EDGE_CACHE");
  if (override) return override;
  const home = Deno.env.get("HOME") ?? "/tmp";
  return `${home}/.cache/kafka-edge`;
}

/** Whether a path exists (file or directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Runs `fn` while holding an exclusive lock on `lockPath`, so two test files warming the same cache at
 * once do not download into the same directory; the loser waits and then finds the work done.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  await Deno.mkdir(lockPath.substring(0, lockPath.lastIndexOf("/")), { recursive: true });
  const file = await Deno.open(lockPath, { create: true, write: true });
  try {
    await file.lock(true);
    return await fn();
  } finally {
    try {
      await file.unlock();
    } finally {
      file.close();
    }
  }
}

/** Short stable hex digest of some text, used to key cache entries by the recipe that built them. */
export async function digest(text: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(bytes).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Runs a command to completion; throws with its output when it fails. */
export async function run(
  cmd: string,
  args: readonly string[],
  opts: { readonly cwd?: string; readonly env?: Record<string, string> } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    cwd: opts.cwd,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed with exit code ${out.code}:\n${text.slice(-4000)}`);
  }
  return text;
}

async function onPath(cmd: string): Promise<boolean> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `command -v ${cmd}`],
    stdout: "null",
    stderr: "null",
  })
    .output();
  return out.success;
}

let aptUpdated = false;

/**
 * Makes sure `cmd` is on PATH, installing the Debian package that provides it when we are root on a
 * machine with apt (CI and fresh dev machines). Elsewhere it fails with the package to install by hand.
 */
export async function ensureCommand(cmd: string, aptPackage: string): Promise<void> {
  if (await onPath(cmd)) return;
  const isRoot = Deno.uid() === 0;
  if (!isRoot || !(await onPath("apt-get"))) {
    throw new Error(`${cmd} is required but not on PATH; install ${aptPackage} (or its equivalent) first`);
  }
  await withFileLock(`${cacheRoot()}/apt.lock`, async () => {
    if (await onPath(cmd)) return;
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    if (!aptUpdated) {
      await run("apt-get", ["update", "-q"], { env });
      aptUpdated = true;
    }
    await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", aptPackage], { env });
  });
  if (!(await onPath(cmd))) throw new Error(`installed ${aptPackage} but ${cmd} is still not on PATH`);
}

/**
 * Shared plumbing for the real-server test fixtures (postgres, opensearch, s3):
 * cache location, cross-process install lock, free ports, privilege drop, and a
 * supervised child process that keeps its last log lines for error messages.
 */
import { cacheRoot, exists } from "./cache.ts";

/** An unprivileged account to run servers that refuse to run as root (PostgreSQL, OpenSearch). */
export interface RunAs {
  readonly user: string;
  readonly group: string;
}

export interface ServiceOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly runAs?: RunAs | null;
}

export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves when the process has exited (with its exit code). */
  readonly exited: Promise<number>;
  /** Last lines the process wrote to stdout/stderr, oldest first. */
  logTail(): string;
  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(signal?: Deno.Signal, graceMs?: number): Promise<void>;
}

const LOG_TAIL_LINES = 40;

export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/**
 * When running as root, servers that refuse root run as `nobody`: it exists on every Debian
 * system, so a fresh machine needs no useradd. Returns null when we already are unprivileged.
 */
export function unprivilegedUser(): RunAs | null {
  return isRoot() ? { user: "nobody", group: "nogroup" } : null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface RunResult {
  readonly code: number;
  readonly output: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Killed (SIGKILL) after this long. */
  readonly timeoutMs?: number;
  /**
   * Kill the command if this process dies (default). Off for apt-get: a dpkg killed mid-install
   * leaves the machine needing `dpkg --configure -a`, which is worse than a lingering install.
   */
  readonly dieWithParent?: boolean;
}

/** Runs a command to completion, bounded by `timeoutMs`; throws with its output when it fails. */
export async function run(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<string> {
  const result = await runUnchecked(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}:\n${lastLines(result.output, 60)}`);
  }
  return result.output;
}

export async function runUnchecked(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const [program, argv] = options.dieWithParent === false
    ? [command, [...args]]
    : ["setpriv", ["--pdeathsig", "KILL", command, ...args]];
  const child = new Deno.Command(program, {
    args: argv,
    env: options.env ? { ...options.env } : undefined,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    trySignal(child, "SIGKILL");
  }, timeoutMs);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    const text = decoder.decode(out.stdout) + decoder.decode(out.stderr);
    if (timedOut) return { code: 137, output: `${text}\n(killed after ${timeoutMs} ms)` };
    return { code: out.code, output: text };
  } finally {
    clearTimeout(timer);
  }
}

export function lastLines(text: string, count: number): string {
  return text.split("\n").filter((line) => line.trim() !== "").slice(-count).join("\n");
}

/** Finds an executable on PATH (like `command -v`), or null. */
export async function which(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    const candidate = `${dir}/${name}`;
    try {
      const info = await Deno.stat(candidate);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch { /* not here */ }
  }
  return null;
}

/**
 * Installs Debian packages on a fresh machine. Only possible as root; otherwise the error says
 * what to install, since a fixture must not silently fall back to something else.
 */
export async function aptInstall(packages: readonly string[], why: string): Promise<void> {
  if (!isRoot()) {
    throw new Error(
      `${why}: please install Debian packages: ${packages.join(" ")} (not root, cannot apt-get)`,
    );
  }
  const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
  const install = ["install", "-y", "--no-install-recommends", ...packages];
  const options = { env, timeoutMs: 900_000, dieWithParent: false };
  const first = await runUnchecked("apt-get", install, options);
  if (first.code === 0) return;
  // A fresh machine has empty package lists; refresh once and retry.
  await run("apt-get", ["update"], options);
  await run("apt-get", install, options);
}

/** Returns JAVA_HOME of a Java >= 11 runtime, installing Debian's OpenJDK 17 when none is present. */
export async function ensureJavaHome(): Promise<string> {
  let java = await which("java");
  if (!java) {
    await withInstallLock("apt", () => aptInstall(["openjdk-17-jre-headless"], "Java is needed"));
    java = await which("java");
    if (!java) throw new Error("java still not on PATH after installing openjdk-17-jre-headless");
  }
  const real = await Deno.realPath(java);
  return real.replace(/\/bin\/java$/, "");
}

/** Returns the mvn binary, installing Debian's maven when missing. */
export async function ensureMaven(): Promise<string> {
  const found = await which("mvn");
  if (found) return found;
  await withInstallLock("apt", () => aptInstall(["maven"], "Maven is needed to fetch test servers"));
  const mvn = await which("mvn");
  if (!mvn) throw new Error("mvn still not on PATH after installing maven");
  return mvn;
}

const inProcessLocks = new Map<string, Promise<unknown>>();

/**
 * Serialises cold installs/builds across processes (lock file under the cache root) and within
 * this process. A lock left by a dead process is taken over; waiting is bounded.
 */
export async function withInstallLock<T>(
  name: string,
  fn: () => Promise<T>,
  timeoutMs = 900_000,
): Promise<T> {
  const previous = inProcessLocks.get(name) ?? Promise.resolve();
  const current = previous.catch(() => {}).then(() => withFileLock(name, fn, timeoutMs));
  inProcessLocks.set(name, current);
  return await current;
}

async function withFileLock<T>(name: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const dir = `${cacheRoot()}/locks`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${name}.lock`;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      await Deno.writeTextFile(path, `${Deno.pid}\n`, { createNew: true });
      break;
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    if (await ownerIsDead(path)) {
      await Deno.remove(path).catch(() => {});
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for install lock ${path}`);
    }
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** True when `pidFile` names a process that no longer exists. */
async function ownerIsDead(pidFile: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile)).trim());
  } catch {
    return false; // removed meanwhile, or still being written: retry
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  return !(await exists(`/proc/${pid}`));
}

const OWNER_FILE = ".kafka-edge-owner-pid";

/**
 * Makes a fresh temp dir for one server, owned by `runAs` when given so the server can write into
 * it. Dirs left by earlier runs that were killed (so close() never ran) are removed first.
 */
export async function makeServiceDir(prefix: string, runAs: RunAs | null = null): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await sweepStaleDirs(dir, prefix);
  await Deno.writeTextFile(`${dir}/${OWNER_FILE}`, `${Deno.pid}\n`);
  if (runAs) await chown(dir, runAs);
  return dir;
}

async function sweepStaleDirs(fresh: string, prefix: string): Promise<void> {
  const parent = fresh.slice(0, fresh.lastIndexOf("/"));
  for await (const entry of Deno.readDir(parent)) {
    const path = `${parent}/${entry.name}`;
    if (!entry.isDirectory || !entry.name.startsWith(prefix) || path === fresh) continue;
    // No owner file yet means another process is just creating it: leave it alone.
    if (await ownerIsDead(`${path}/${OWNER_FILE}`)) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
}

export async function chown(path: string, runAs: RunAs): Promise<void> {
  await run("chown", ["-R", `${runAs.user}:${runAs.group}`, path]);
}

/**
 * Spawns a long-running server. `setpriv --pdeathsig KILL` makes the kernel kill it if the test
 * process dies without calling close(); setpriv applies it after dropping to `runAs`, because a
 * uid change clears the parent-death signal.
 */
export function spawnService(options: ServiceOptions): ServiceProcess {
  const privilege = options.runAs
    ? ["--reuid", options.runAs.user, "--regid", options.runAs.group, "--clear-groups"]
    : [];
  const child = new Deno.Command("setpriv", {
    args: [...privilege, "--pdeathsig", "KILL", options.command, ...options.args],
    env: options.env ? { ...options.env } : undefined,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  const pumps = [pump(child.stdout, tail), pump(child.stderr, tail)];
  const exited = child.status.then(async (status) => {
    await Promise.all(pumps);
    return status.code;
  });
  let done = false;
  exited.then(() => done = true);

  async function stop(signal: Deno.Signal = "SIGTERM", graceMs = 15_000): Promise<void> {
    if (done) return;
    trySignal(child, signal);
    const timer = setTimeout(() => trySignal(child, "SIGKILL"), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  return { name: options.name, pid: child.pid, exited, logTail: () => tail.join("\n"), stop };
}

function trySignal(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch { /* already exited */ }
}

async function pump(stream: ReadableStream<Uint8Array>, tail: string[]): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) remember(tail, line);
  }
  if (partial) remember(tail, partial);
}

function remember(tail: string[], line: string): void {
  tail.push(line);
  if (tail.length > LOG_TAIL_LINES) tail.shift();
}

/**
 * Polls `probe` until it returns true. Fails early if the server exits, and on timeout; both
 * errors carry the server's last log lines, which is usually all one needs to see why.
 */
export async function waitUntilReady(
  service: ServiceProcess,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  let exitCode: number | null = null;
  service.exited.then((code) => exitCode = code);
  while (true) {
    if (exitCode !== null) {
      throw new Error(
        `${service.name} exited with code ${exitCode} before becoming ready:\n${service.logTail()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() - started > timeoutMs) {
      await service.stop("SIGKILL");
      throw new Error(
        `${service.name} not ready after ${timeoutMs} ms; last log lines:\n${service.logTail()}`,
      );
    }
    await sleep(250);
  }
}

/** True when `url` answers with any HTTP status (used for servers whose readiness is "listening"). */
export async function httpAnswers(url: string, okOnly = false): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  await response.body?.cancel();
  return okOnly ? response.ok : true;
}

/**
 * Makes a file tree readable by `runAs` without copying it when possible: the cache lives under
 * the invoking user's home (e.g. /root, mode 700), which an unprivileged server cannot traverse.
 * Hard links are instant on the same filesystem; a copy is the fallback.
 */
export async function stageTree(source: string, target: string): Promise<void> {
  const linked = await runUnchecked("cp", ["-al", source, target], { timeoutMs: 120_000 });
  if (linked.code === 0) return;
  await Deno.remove(target, { recursive: true }).catch(() => {});
  await run("cp", ["-a", source, target], { timeoutMs: 300_000 });
}

/**
 * Child processes for test fixtures. Servers are started through `setpriv --pdeathsig KILL`, so a broker
 * or database dies with the test process even when that process is SIGKILLed and never runs its cleanup.
 */

/** A free TCP port on 127.0.0.1, found by binding port 0. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** `count` distinct free ports. */
export function freePorts(count: number): number[] {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(freePort());
  return [...ports];
}

/**
 * A `Deno.Command` for `cmd args…` run through `setpriv --pdeathsig KILL`: the kernel kills the child when
 * this process dies, even by SIGKILL or a test timeout that skips every cleanup. setpriv execs `cmd`, so
 * the child's pid is `cmd`'s own and signals sent to it reach `cmd` itself.
 */
export function tiedCommand(
  cmd: string,
  args: readonly string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command("setpriv", { ...options, args: ["--pdeathsig", "KILL", "--", cmd, ...args] });
}

/** Options for {@link spawnDaemon}. */
export interface DaemonOptions {
  readonly cmd: string;
  readonly args: readonly string[];
  /** stdout and stderr are appended here: JVM start-up failures only ever appear on stderr. */
  readonly logFile: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
}

/** A running server process. */
export interface Daemon {
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  kill(signal?: Deno.Signal): void;
}

/** Starts a long-running process tied to our lifetime; output goes to `logFile`. */
export function spawnDaemon(opts: DaemonOptions): Daemon {
  const child = tiedCommand("bash", [
    "-c",
    'exec "$@" >>"$DAEMON_LOG" 2>&1',
    "daemon",
    opts.cmd,
    ...opts.args,
  ], {
    env: { ...opts.env, DAEMON_LOG: opts.logFile },
    cwd: opts.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    pid: child.pid,
    status: child.status,
    kill(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch {
        // Already exited: nothing to stop.
      }
    },
  };
}

/** Stops a daemon politely, escalating to SIGKILL after `graceMs`. */
export async function stopDaemon(daemon: Daemon, graceMs: number): Promise<void> {
  daemon.kill("SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const escalated = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  const first = await Promise.race([daemon.status, escalated]);
  clearTimeout(timer);
  if (first === "timeout") {
    daemon.kill("SIGKILL");
    await daemon.status;
  }
}

/** The last `lines` lines of a text file, or a note that it could not be read. */
export async function tail(path: string, lines = 40): Promise<string> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").slice(-lines).join("\n");
  } catch (err) {
    return `(could not read ${path}: ${err instanceof Error ? err.message : err})`;
  }
}

/** Polls `probe` until it returns true; throws `describe()` text on timeout. */
export async function waitUntil(
  probe: () => Promise<boolean>,
  opts: { readonly timeoutMs: number; readonly intervalMs?: number; readonly what: string },
  describe: () => Promise<string> = () => Promise.resolve(""),
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}\n${await describe()}`);
}

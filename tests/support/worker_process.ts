/**
 * Runs `deno run -A consumer/main.ts` as a real child process with a given environment and collects its
 * stdout (the stdout sink's lines) and stderr (JSON logs), for the worker's end-to-end tests.
 */
import { tiedCommand } from "@kafka-edge/lib/testing";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running worker process. */
export interface WorkerProcess {
  readonly pid: number;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the HTTP port once the worker logged "listening". */
  readonly port: Promise<number>;
  readonly status: Promise<Deno.CommandStatus>;
  kill(signal: Deno.Signal): void;
  /** Polls until `predicate` holds, at most `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  /** The JSON log lines whose msg equals `msg`. */
  logs(msg: string): Record<string, unknown>[];
}

/** The environment every test worker gets: fast group membership for quick rebalances. */
export const FAST_GROUP_ENV: Readonly<Record<string, string>> = {
  SESSION_TIMEOUT: "6s",
  HEARTBEAT_INTERVAL: "500ms",
  REBALANCE_TIMEOUT: "10s",
  FETCH_MAX_WAIT: "200ms",
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "info",
};

async function pump(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    into.push(...parts);
  }
  if (rest) into.push(rest);
}

/** Starts a worker with `env` (added to a minimal inherited PATH/HOME). */
export function spawnWorker(env: Readonly<Record<string, string>>): WorkerProcess {
  // The test runner's own deno binary: no npx wrapper in between, so signals reach the worker itself.
  const child = tiedCommand(Deno.execPath(), ["run", "-A", "consumer/main.ts"], {
    cwd: ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO_NO_UPDATE_CHECK: "1",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      NO_COLOR: "1",
      ...FAST_GROUP_ENV,
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const pumps = Promise.all([pump(child.stdout, stdout), pump(child.stderr, stderr)]);
  const status = child.status.then(async (s) => {
    await pumps;
    return s;
  });
  // JSON logs go to stderr with the stdout sink and to stdout otherwise.
  const logs = (msg: string) =>
    [...stderr, ...stdout].flatMap((line) => {
      try {
        const parsed = JSON.parse(line);
        return parsed?.msg === msg ? [parsed] : [];
      } catch {
        return [];
      }
    });
  async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${what}\n--- stderr tail\n${
            stderr.slice(-30).join("\n")
          }`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let exited = false;
  status.then(() => (exited = true));
  const port = (async () => {
    await waitFor(() => logs("listening").length > 0 || exited, 60_000, "the worker to listen");
    const line = logs("listening")[0];
    if (!line) throw new Error(`worker exited before listening\n${stderr.join("\n")}`);
    return Number(line.port);
  })();
  port.catch(() => {});
  return {
    pid: child.pid,
    stdout,
    stderr,
    port,
    status,
    kill(signal) {
      try {
        child.kill(signal);
      } catch {
        // already exited
      }
    },
    waitFor,
    logs,
  };
}

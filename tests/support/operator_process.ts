/**
 * Runs the operator (operator/main.ts) as a subprocess for end-to-end tests, the way a pod would run it:
 * its JSON log lines go to a file (and are kept for assertions), its /metrics and /readyz are reachable on
 * a free loopback port, and stop() sends SIGTERM and waits (bounded) for the graceful shutdown.
 */
import { freePort, tiedCommand } from "@kafka-edge/lib/testing";

const MAIN = new URL("../../operator/main.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** A running operator process. */
export interface OperatorProcess extends AsyncDisposable {
  readonly identity: string;
  readonly url: string;
  readonly logFile: string;
  readonly status: Promise<Deno.CommandStatus>;
  /** Parsed JSON log lines so far. */
  logs(): Promise<Record<string, unknown>[]>;
  /** The value of a metric series (sum over matching lines), 0 when absent. */
  metric(name: string, labelFilter?: string): Promise<number>;
  /** Polls /readyz until 200. */
  waitReady(timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number>;
}

/** Options for {@link spawnOperator}. */
export interface SpawnOperatorOptions {
  readonly identity: string;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly logDir: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Starts `deno run -A operator/main.ts` with the test's kubeconfig and a free port. */
export function spawnOperator(options: SpawnOperatorOptions): OperatorProcess {
  const port = freePort();
  const logFile = `${options.logDir}/operator-${options.identity}-${Date.now()}.log`;
  const child = tiedCommand(Deno.execPath(), ["run", "-A", MAIN], {
    cwd: ROOT,
    env: {
      KUBECONFIG: options.kubeconfig,
      NAMESPACE: options.namespace,
      POD_NAME: options.identity,
      PORT: String(port),
      HOST: "127.0.0.1",
      LEASE_DURATION: "6s",
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const file = Deno.openSync(logFile, { create: true, append: true });
  const copy = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeTo(
      new WritableStream({
        write: (chunk) => {
          file.writeSync(chunk);
        },
      }),
    ).catch(() => {});
  const copied = Promise.all([copy(child.stdout), copy(child.stderr)]).finally(() => file.close());
  const status = child.status.then(async (s) => {
    await copied;
    return s;
  });
  const url = `http://127.0.0.1:${port}`;
  const proc: OperatorProcess = {
    identity: options.identity,
    url,
    logFile,
    status,
    async logs() {
      const text = await Deno.readTextFile(logFile);
      return text.split("\n").flatMap((line) => {
        try {
          return line.startsWith("{") ? [JSON.parse(line)] : [];
        } catch {
          return [];
        }
      });
    },
    async metric(name, labelFilter = "") {
      const res = await fetch(`${url}/metrics`);
      const text = await res.text();
      let sum = 0;
      for (const line of text.split("\n")) {
        if (!line.startsWith(name) || !line.includes(labelFilter)) continue;
        const rest = line.slice(name.length);
        if (rest[0] !== " " && rest[0] !== "{") continue;
        sum += Number(line.slice(line.lastIndexOf(" ") + 1));
      }
      return sum;
    },
    async waitReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const ok = await fetch(`${url}/readyz`).then(async (r) => {
          await r.body?.cancel();
          return r.ok;
        }, () => false);
        if (ok) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`operator ${options.identity} not ready after ${timeoutMs} ms; see ${logFile}`);
    },
    async stop(graceMs = 20_000) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, graceMs);
      const s = await status;
      clearTimeout(timer);
      return s.code;
    },
    [Symbol.asyncDispose]: async () => {
      await proc.stop();
    },
  };
  return proc;
}

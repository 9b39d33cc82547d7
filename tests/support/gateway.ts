/** Runs the gateway for tests: in-process (fast, inspectable) or as the real `producer/main.ts` process. */
import { createLogger, parseConfig } from "@kafka-edge/lib";
import { freePort, tiedCommand, waitUntil } from "@kafka-edge/lib/testing";
import { producerConfigSpec } from "../../producer/config.ts";
import { createGateway, type Gateway } from "../../producer/gateway.ts";

/** A gateway served on a loopback port. */
export interface RunningGateway extends AsyncDisposable {
  readonly url: string;
  readonly gateway?: Gateway;
  close(): Promise<void>;
}

const devEnv = { DEV_MODE: "true", AUTH_METHODS: "none", LOG_LEVEL: "warn" };

/** Starts the gateway in this process against real Kafka. */
export async function startGateway(env: Record<string, string>): Promise<RunningGateway> {
  const cfg = parseConfig(producerConfigSpec, { ...devEnv, ...env });
  const gateway = createGateway(cfg, { log: createLogger({ level: "error", sink: () => {} }) });
  await gateway.start();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, gateway.app.fetch);
  const running: RunningGateway = {
    url: `http://127.0.0.1:${server.addr.port}`,
    gateway,
    async close() {
      gateway.beginDrain();
      await Promise.all([server.shutdown(), gateway.drain()]);
      await gateway.close();
    },
    [Symbol.asyncDispose]: () => running.close(),
  };
  return running;
}

/** The gateway as a child process (`deno run producer/main.ts`), for signal and crash tests. */
export interface GatewayProcess extends RunningGateway {
  readonly child: Deno.ChildProcess;
  readonly output: () => string;
}

/** Spawns `producer/main.ts` with `env` and waits until /readyz answers 200. */
export async function spawnGateway(
  env: Record<string, string>,
  opts: { readonly v8Flags?: string } = {},
): Promise<GatewayProcess> {
  const port = freePort();
  const main = new URL("../../producer/main.ts", import.meta.url).pathname;
  const v8 = opts.v8Flags ? [`--v8-flags=${opts.v8Flags}`] : [];
  const child = tiedCommand(Deno.execPath(), ["run", ...v8, "-A", main], {
    env: { ...devEnv, ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const url = `http://127.0.0.1:${port}`;
  const proc: GatewayProcess = {
    url,
    child,
    output: () => text,
    async close() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
      await pumped;
    },
    [Symbol.asyncDispose]: () => proc.close(),
  };
  try {
    await waitUntil(
      async () => (await fetch(`${url}/readyz`).then((r) => r.body?.cancel().then(() => r.ok))) ?? false,
      {
        timeoutMs: 60_000,
        what: "the gateway process to be ready",
      },
      () => Promise.resolve(text.slice(-3000)),
    );
  } catch (err) {
    await proc.close();
    throw err;
  }
  return proc;
}

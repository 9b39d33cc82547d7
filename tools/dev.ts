/**
 * `deno task dev`: the whole pipeline on one machine — a real single-node Kafka on 127.0.0.1:9092 (or a
 * free port when 9092 is taken), the gateway on :8080 with authentication OFF, and a worker in group
 * `logger-group` printing topic `logs` the way the reference article's consumer does.
 */
import { Kafka, logLevel } from "kafkajs";
import { freePort, startKafka, tiedCommand, waitUntil } from "@kafka-edge/lib/testing";

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

const root = new URL("..", import.meta.url).pathname;
const kafkaPort = portFree(9092) ? 9092 : freePort();
const httpPort = Number(Deno.env.get("PORT") ?? (portFree(8080) ? 8080 : freePort()));
console.error(`# starting Kafka on 127.0.0.1:${kafkaPort} (the first run downloads the broker jars)`);
const kafka = await startKafka({ brokers: 1, port: kafkaPort });
const admin = new Kafka({ brokers: [kafka.bootstrap], clientId: "dev", logLevel: logLevel.NOTHING }).admin();
await admin.connect();
await admin.createTopics({
  topics: [{ topic: "logs", numPartitions: 3 }, { topic: "logs.dlq", numPartitions: 1 }],
  waitForLeaders: true,
});
await admin.disconnect();

const children: { name: string; child: Deno.ChildProcess }[] = [];

/** Runs a service with its output prefixed, so three processes stay readable in one terminal. */
async function spawn(name: string, script: string, env: Record<string, string>): Promise<void> {
  const path = `${root}${script}`;
  try {
    await Deno.stat(path);
  } catch {
    console.error(`# ${name}: ${script} is not there yet; skipping`);
    return;
  }
  // A dev session killed hard (SIGKILL, a closed terminal) must not leave the services behind.
  const child = tiedCommand(Deno.execPath(), ["run", "-A", path], {
    env: { KAFKA_BROKERS: kafka.bootstrap, ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  children.push({ name, child });
  for (const [stream, out] of [[child.stdout, Deno.stdout], [child.stderr, Deno.stderr]] as const) {
    (async () => {
      let rest = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) await out.write(new TextEncoder().encode(`${name.padEnd(7)}| ${line}\n`));
      }
    })();
  }
}

await spawn("gateway", "producer/main.ts", {
  PORT: String(httpPort),
  HOST: "127.0.0.1",
  TOPICS: "logs",
  AUTH_METHODS: "none",
  DEV_MODE: "true",
});
await spawn("worker", "consumer/main.ts", {
  GROUP_ID: "logger-group",
  TOPICS: "logs",
  SINK: "stdout",
  DLQ_TOPIC: "logs.dlq",
  // Its probes and metrics: any free loopback port, never the gateway's (the worker's default is 8080 too).
  PORT: String(freePort()),
  HOST: "127.0.0.1",
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) Deno.exit(130);
  stopping = true;
  for (const { child } of children) {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  }
  await Promise.all(children.map(({ child }) => child.status));
  await kafka.close();
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
for (const { name, child } of children) {
  child.status.then((s) => {
    if (!stopping) console.error(`# ${name} exited with code ${s.code}; stopping`), stop();
  });
}

// The banner promises a working curl: print it once the gateway answers /readyz (bounded wait).
await waitUntil(
  async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
    await res.body?.cancel();
    return res.ok;
  },
  { timeoutMs: 60_000, what: "the gateway's /readyz" },
).catch(() => console.error("# the gateway is not ready after 60 s: see its output above (is Kafka up?)"));

console.log(`KAFKA_BOOTSTRAP=${kafka.bootstrap}`);
console.log(`
kafka-edge is running: Kafka ${kafka.bootstrap}, gateway http://127.0.0.1:${httpPort} (auth OFF), worker on "logs".
Send the reference article's event:
  curl -s -X POST http://127.0.0.1:${httpPort}/v1/topics/logs/events \\
       -H 'content-type: application/json' -d '{"user":"keita","action":"login"}'
and the worker prints: [LOG] User: keita, Action: login
API docs: http://127.0.0.1:${httpPort}/docs — Ctrl-C stops everything.`);

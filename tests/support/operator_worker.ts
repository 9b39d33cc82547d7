/**
 * A minimal consumer-group worker for the operator's end-to-end tests: consumes TOPICS as GROUP_ID and
 * commits, spending DELAY_MS per message, so one worker's service rate is known (1000 / DELAY_MS events/s)
 * and the autoscaler's arithmetic can be checked. SIGTERM leaves the group cleanly, like a pod stopping.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 GROUP_ID=g TOPICS=orders DELAY_MS=20 deno run -A operator_worker.ts
 */
import { Kafka, logLevel } from "kafkajs";
import { silenceKafkajsTimerWarning } from "@kafka-edge/lib";

silenceKafkajsTimerWarning();
const env = (name: string, fallback?: string): string => {
  const value = Deno.env.get(name) ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const delayMs = Number(env("DELAY_MS", "20"));
const name = env("WORKER_NAME", `worker-${Deno.pid}`);
const kafka = new Kafka({
  brokers: env("KAFKA_BROKERS").split(","),
  clientId: name,
  logLevel: logLevel.NOTHING,
  retry: { retries: 100, initialRetryTime: 200, maxRetryTime: 2_000 },
});
const consumer = kafka.consumer({
  groupId: env("GROUP_ID"),
  sessionTimeout: 10_000,
  heartbeatInterval: 1_000,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 200,
});
let stopping = false;
Deno.addSignalListener("SIGTERM", () => {
  if (stopping) return;
  stopping = true;
  // Bounded: a broker that is down must not keep a "pod" alive forever.
  const hardStop = setTimeout(() => Deno.exit(0), 10_000);
  consumer.disconnect().finally(() => {
    clearTimeout(hardStop);
    Deno.exit(0);
  });
});
await consumer.connect();
await consumer.subscribe({ topics: env("TOPICS").split(","), fromBeginning: true });
await consumer.run({
  // Frequent commits make lag (committed offsets) follow the real progress closely.
  autoCommitInterval: 500,
  partitionsConsumedConcurrently: 1,
  eachMessage: async ({ heartbeat }) => {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    await heartbeat();
  },
});
console.log(JSON.stringify({ msg: "worker running", name }));

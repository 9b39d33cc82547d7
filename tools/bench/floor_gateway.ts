/**
 * The floor of the gateway's stack, for the single-event row: `Deno.serve` in front of the gateway's own
 * batcher and kafkajs sender (the encoder patch, the lean record, one idempotent producer, one round in
 * flight), and nothing else: no Hono, no content types, validation, auth, rate limit, ids, headers or metrics.
 * Each request's body becomes one keyless record; the answer is the gateway's v1 answer shape.
 *
 * What one-event requests get here is what the gateway's batching on Deno + kafkajs allows before any of
 * the gateway's own work, so `bench:producer` measures it beside the gateway on the same load (row
 * `floor-single`).
 *
 *   deno run -A tools/bench/floor_gateway.ts --brokers 127.0.0.1:9092 --topic t --port 8090
 */
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { createLogger, kafkaSocketFactory, silenceKafkajsTimerWarning } from "@kafka-edge/lib";
import { createBatcher } from "../../producer/core/batcher.ts";
import { createByteBudget } from "../../producer/core/budget.ts";
import { createKafkajsSender } from "../../producer/adapters/kafkajs_sender.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    brokers: { type: "string" },
    topic: { type: "string" },
    port: { type: "string" },
    partitions: { type: "string", default: "6" },
    // The gateway's LINGER, so that `LINGER=0 deno task bench:producer` changes both alike.
    linger: { type: "string", default: Deno.env.get("LINGER") ?? "2" },
  },
});
if (!values.brokers || !values.topic || !values.port) {
  console.error("usage: floor_gateway.ts --brokers B --topic T --port P [--partitions N] [--linger MS]");
  Deno.exit(2);
}
const topic = values.topic;
const partitions = Number(values.partitions);

silenceKafkajsTimerWarning();
const log = createLogger({ level: "warn" });
const kafka = new Kafka({
  brokers: values.brokers.split(","),
  clientId: "kafka-edge-floor",
  logLevel: logLevel.ERROR,
  socketFactory: kafkaSocketFactory(),
});
const sender = createKafkajsSender(kafka, log);
await sender.connect();
// The gateway's defaults: 64 MiB buffer, 2 ms linger, 1 MiB batches, 10 s per send.
const batcher = createBatcher({
  sender,
  cluster: { partitions: (t) => t === topic ? partitions : undefined, healthy: () => true },
  budget: createByteBudget(64 * 1024 * 1024),
  lingerMs: Number(values.linger),
  maxBatchBytes: 1024 * 1024,
  sendTimeoutMs: 10_000,
});
const json = { "content-type": "application/json" };

const server = Deno.serve(
  { hostname: "127.0.0.1", port: Number(values.port), onListen() {} },
  async (req) => {
    if (req.method !== "POST") return new Response("ok"); // /readyz for the bench
    const value = new Uint8Array(await req.arrayBuffer());
    const admission = batcher.produce(topic, [{ key: null, value, headers: [] }], Date.now() + 10_000);
    if (!admission.admitted) return new Response('{"error":{"code":"busy"}}', { status: 429, headers: json });
    const [outcome] = await admission.outcomes;
    if (!outcome.ok) return new Response('{"error":{"code":"unavailable"}}', { status: 503, headers: json });
    return new Response(
      `{"results":[{"partition":${outcome.partition},"offset":"${outcome.offset}"}],"succeeded":1,"failed":0}`,
      { headers: json },
    );
  },
);
console.log("ready");

async function stop() {
  await server.shutdown();
  await batcher.drain();
  await sender.disconnect();
  Deno.exit(0);
}
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);

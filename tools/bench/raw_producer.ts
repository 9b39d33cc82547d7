/**
 * The client ceiling: kafkajs (or, with `--client platformatic`, @platformatic/kafka) alone in one
 * process, configured like the gateway's sender (idempotent, acks=all, one partition per send) and driven by
 * `--concurrency` loops that each send `--batch` events at a time, back to back. Same warm-up/window rules
 * and JSON shape as load_client.ts, so the rows compare.
 *
 *   deno run -A tools/bench/raw_producer.ts --brokers 127.0.0.1:9092 --topic t --partitions 6 \
 *     --concurrency 16 --batch 100 [--partitions-per-call 1] [--client kafkajs|platformatic] \
 *     --event-file event.json --warmup-ms 3000 --duration-ms 20000
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { ProduceAcks, Producer } from "@platformatic/kafka";
import { kafkaSocketFactory, silenceKafkajsTimerWarning } from "@kafka-edge/lib";
import { type LoadResult, runClosedLoop } from "./closed_loop.ts";

/** Options of {@link runRawProducer}. */
export interface RawProducerOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly partitions: number;
  readonly concurrency: number;
  readonly batch: number;
  /**
   * Partitions per call: 1 = one `send` per partition batch (as the gateway does); more = one `sendBatch`
   * carrying `batch` records for each of that many partitions, which kafkajs writes as one Produce request.
   */
  readonly partitionsPerCall: number;
  /** The client library; @platformatic/kafka ignores `maxInFlight` (it keeps its own default of 5). */
  readonly client?: "kafkajs" | "platformatic";
  readonly event: Uint8Array;
  /** kafkajs' per-connection in-flight cap; the gateway uses 1 (undefined = kafkajs' unlimited default). */
  readonly maxInFlight: number | undefined;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxSends: number;
  readonly watchPids: readonly number[];
}

/** One send of `messages` (each naming its partition) with acks=all; throws when not acknowledged. */
type Send = (messages: { partition: number; value: Buffer }[]) => Promise<void>;

async function kafkajsClient(opts: RawProducerOptions): Promise<{ send: Send; close(): Promise<void> }> {
  silenceKafkajsTimerWarning();
  const kafka = new Kafka({
    brokers: [...opts.brokers],
    clientId: "kafka-edge-bench",
    logLevel: logLevel.ERROR,
    // The same sockets as the gateway's and the workers' clients (TCP_NODELAY), so the ceiling is comparable.
    socketFactory: kafkaSocketFactory(),
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: opts.maxInFlight,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    async send(messages) {
      if (opts.partitionsPerCall === 1) {
        await producer.send({ topic: opts.topic, acks: -1, timeout: 5000, messages });
      } else {
        await producer.sendBatch({
          topicMessages: [{ topic: opts.topic, messages }],
          acks: -1,
          timeout: 5000,
        });
      }
    },
    close: () => producer.disconnect(),
  };
}

async function platformaticClient(opts: RawProducerOptions): Promise<{ send: Send; close(): Promise<void> }> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: "kafka-edge-bench",
    bootstrapBrokers: [...opts.brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    timeout: 5000,
  });
  await producer.metadata({ topics: [opts.topic] });
  return {
    async send(messages) {
      const result = await producer.send({
        messages: messages.map((m) => ({ topic: opts.topic, partition: m.partition, value: m.value })),
      });
      const partitions = new Set(messages.map((m) => m.partition));
      if ((result.offsets ?? []).filter((o) => partitions.has(o.partition)).length !== partitions.size) {
        throw new Error("the acknowledgement does not cover every partition sent");
      }
    },
    close: () => producer.close(),
  };
}

/** Runs the raw producer load; latency is per send of one batch, failures count as "kafka". */
export async function runRawProducer(opts: RawProducerOptions): Promise<LoadResult> {
  const client = opts.client === "platformatic" ? await platformaticClient(opts) : await kafkajsClient(opts);
  const value = Buffer.from(opts.event);
  let next = 0;
  return await runClosedLoop(
    {
      loops: opts.concurrency,
      eventsPerOperation: opts.batch * opts.partitionsPerCall,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
      maxIssues: opts.maxSends,
      watchPids: opts.watchPids,
    },
    async () => {
      // Like the gateway's batcher: a whole batch goes to one partition, partitions taken in turn.
      const partitions = Array.from({ length: opts.partitionsPerCall }, () => next++ % opts.partitions);
      const messages = partitions.flatMap((partition) =>
        Array.from({ length: opts.batch }, () => ({ partition, value }))
      );
      try {
        await client.send(messages);
        return { ok: true };
      } catch (err) {
        return { ok: false, kind: "kafka", sample: err instanceof Error ? err.message : String(err) };
      }
    },
    () => client.close(),
  );
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "brokers": { type: "string" },
      "topic": { type: "string" },
      "partitions": { type: "string", default: "1" },
      "concurrency": { type: "string", default: "16" },
      "batch": { type: "string", default: "100" },
      "partitions-per-call": { type: "string", default: "1" },
      "event-file": { type: "string" },
      "max-in-flight": { type: "string", default: "1" },
      "client": { type: "string", default: "kafkajs" },
      "warmup-ms": { type: "string", default: "2000" },
      "duration-ms": { type: "string", default: "10000" },
      "max-sends": { type: "string", default: "10000000" },
      "watch-pids": { type: "string", default: "" },
    },
  });
  if (!values.brokers || !values.topic || !values["event-file"]) {
    console.error("usage: raw_producer.ts --brokers B --topic T --event-file FILE [--partitions N] …");
    Deno.exit(2);
  }
  const result = await runRawProducer({
    brokers: values.brokers.split(","),
    topic: values.topic,
    partitions: Number(values.partitions),
    concurrency: Number(values.concurrency),
    batch: Number(values.batch),
    partitionsPerCall: Number(values["partitions-per-call"]),
    client: values.client === "platformatic" ? "platformatic" : "kafkajs",
    event: await Deno.readFile(values["event-file"]),
    maxInFlight: values["max-in-flight"] === "unlimited" ? undefined : Number(values["max-in-flight"]),
    warmupMs: Number(values["warmup-ms"]),
    durationMs: Number(values["duration-ms"]),
    maxSends: Number(values["max-sends"]),
    watchPids: values["watch-pids"].split(",").filter((s) => s !== "").map(Number),
  });
  console.log(JSON.stringify(result));
}

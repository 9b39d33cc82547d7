/**
 * The consumer ceiling: kafkajs alone in one process, `eachBatch` with autoCommit off doing nothing but
 * resolving and committing, fetch settings as the worker's defaults. It consumes until SIGTERM/SIGINT (or
 * `--max-ms`), then disconnects; tools/bench/consumer.ts measures it from outside by polling the group's
 * committed offsets, exactly as it measures the worker.
 *
 *   deno run -A tools/bench/consumer_raw.ts --brokers 127.0.0.1:9092 --topic t --group g \
 *     [--partitions-concurrently 1] [--commit-every 0] [--max-ms 600000]
 *
 * `--commit-every 0` resolves and commits once per fetched batch (the ceiling); N > 0 commits after every
 * N records, as the worker does with BATCH_SIZE=N, to show what the commits alone cost.
 */
import { parseArgs } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { kafkaSocketFactory, silenceKafkajsTimerWarning } from "@kafka-edge/lib";

/** Options of {@link runRawConsumer}. */
export interface RawConsumerOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group: string;
  readonly partitionsConcurrently: number;
  /** 0: one commit per fetched batch; N: one commit per N records. */
  readonly commitEvery: number;
  /** Hard bound on the run, whatever happens. */
  readonly maxMs: number;
}

/** Consumes until `stop` aborts or `maxMs` passes; resolves with the records seen. */
export async function runRawConsumer(opts: RawConsumerOptions, stop: AbortSignal): Promise<number> {
  silenceKafkajsTimerWarning();
  const kafka = new Kafka({
    brokers: [...opts.brokers],
    clientId: "kafka-edge-bench",
    logLevel: logLevel.ERROR,
    // The same sockets as the gateway's and the workers' clients (TCP_NODELAY), so the ceiling is comparable.
    socketFactory: kafkaSocketFactory(),
  });
  // The worker's defaults (consumer/config.ts): 10 MiB per fetch, 1 MiB per partition, 1 s max wait.
  const consumer = kafka.consumer({
    groupId: opts.group,
    maxBytes: 10 * 1024 * 1024,
    maxBytesPerPartition: 1024 * 1024,
    maxWaitTimeInMs: 1_000,
    allowAutoTopicCreation: false,
  });
  let seen = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [opts.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConcurrently,
      async eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }) {
        const { topic, partition, messages } = batch;
        const step = opts.commitEvery > 0 ? opts.commitEvery : messages.length;
        for (let start = 0; start < messages.length; start += step) {
          if (!isRunning() || isStale()) return;
          const last = messages[Math.min(messages.length, start + step) - 1].offset;
          resolveOffset(last);
          await commitOffsetsIfNecessary({
            topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }],
          });
          seen += Math.min(step, messages.length - start);
        }
      },
    });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.maxMs);
      stop.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "brokers": { type: "string" },
      "topic": { type: "string" },
      "group": { type: "string" },
      "partitions-concurrently": { type: "string", default: "1" },
      "commit-every": { type: "string", default: "0" },
      "max-ms": { type: "string", default: "600000" },
    },
  });
  if (!values.brokers || !values.topic || !values.group) {
    console.error("usage: consumer_raw.ts --brokers B --topic T --group G [--partitions-concurrently N] ...");
    Deno.exit(2);
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  const seen = await runRawConsumer({
    brokers: values.brokers.split(","),
    topic: values.topic,
    group: values.group,
    partitionsConcurrently: Number(values["partitions-concurrently"]),
    commitEvery: Number(values["commit-every"]),
    maxMs: Number(values["max-ms"]),
  }, stop.signal);
  console.error(`consumer_raw: ${seen} records`);
  Deno.exit(0);
}

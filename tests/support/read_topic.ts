/** Reads back what landed in a topic, for tests that compare "acknowledged" with "stored". */
import { Kafka, logLevel } from "kafkajs";

/** A record as read back, with headers as UTF-8 strings. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/**
 * Reads every record of `topic` from the beginning until the partitions' current end offsets are reached
 * (so the caller need not know how many to expect), bounded by `timeoutMs`.
 */
export async function readTopic(bootstrap: string, topic: string, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const kafka = new Kafka({
    brokers: bootstrap.split(","),
    clientId: "read-topic",
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const out: ReadRecord[] = [];
  const reached = new Map<number, bigint>();
  const done = () => [...ends].every(([p, end]) => end === 0n || (reached.get(p) ?? -1n) >= end - 1n);
  if (done()) return out;
  const consumer = kafka.consumer({ groupId: `read-${topic}-${crypto.randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          headers[k] = Array.isArray(v) ? String(v.at(-1)) : String(v);
        }
        out.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers,
        });
        reached.set(partition, BigInt(message.offset));
        return Promise.resolve();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} timed out after ${out.length} records`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Creates topics and waits for their leaders. */
export async function createTopics(
  bootstrap: string,
  topics: readonly { topic: string; numPartitions?: number; replicationFactor?: number }[],
): Promise<void> {
  const admin = new Kafka({ brokers: bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [...topics], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

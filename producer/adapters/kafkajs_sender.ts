/**
 * The producer's Kafka adapter on kafkajs: one shared idempotent producer, one partition per send, and a
 * check that the broker's answer covers exactly the partition we sent to.
 */
import { Buffer } from "node:buffer";
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import type { Logger } from "@kafka-edge/lib";
import { type PartitionSender, ProduceError } from "../core/ports.ts";
import type { OutboundRecord } from "../core/types.ts";

/** A {@link PartitionSender} that must be connected before use and disconnected at shutdown. */
export interface KafkajsSender extends PartitionSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

function bytes(b: Uint8Array | null): Buffer | null {
  return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function toMessage(record: OutboundRecord, partition: number): Message {
  // A null-prototype object: a header literally named "__proto__" stays a header.
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = Object.create(null);
  for (const [name, value] of record.headers) {
    const v = typeof value === "string" ? value : bytes(value)!;
    const prev = headers[name];
    headers[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { partition, key: bytes(record.key), value: bytes(record.value), headers };
}

/** Classifies a kafkajs failure: retriable ones become 503, the rest a per-event rejection. */
export function classifyKafkaError(err: unknown): ProduceError {
  const e = err as { name?: string; message?: string; retriable?: boolean; type?: string; cause?: unknown };
  const message = e?.message ?? String(err);
  if (e?.retriable === false && e?.name === "KafkaJSProtocolError") {
    return new ProduceError("kafka_rejected", `Kafka rejected the records: ${e.type ?? message}`, false);
  }
  return new ProduceError("kafka_unavailable", `Kafka is unavailable: ${message}`, true);
}

/** Creates the sender around one idempotent kafkajs producer. */
export function createKafkajsSender(kafka: Kafka, log: Logger): KafkajsSender {
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Unused (every message names its partition) but explicit, which also silences kafkajs' v2 notice.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Idempotent kafkajs retries forever; cap the backoff so a send resumes within ~2 s of recovery.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  return {
    async connect() {
      await producer.connect();
      log.info("kafka producer connected");
    },
    async disconnect() {
      await producer.disconnect();
    },
    async send({ topic, partition, records, timeoutMs }) {
      let result;
      try {
        result = await producer.send({
          topic,
          acks: -1,
          timeout: timeoutMs,
          messages: records.map((r) => toMessage(r, partition)),
        });
      } catch (err) {
        throw classifyKafkaError(err);
      }
      const mine = result.filter((m) => m.topicName === topic && m.partition === partition);
      if (mine.length !== 1 || mine[0].errorCode !== 0 || mine[0].baseOffset === undefined) {
        log.error("kafka acknowledgement does not cover the batch", { topic, partition, result });
        throw new ProduceError("kafka_rejected", "Kafka's acknowledgement did not cover the batch", true);
      }
      return { baseOffset: BigInt(mine[0].baseOffset) };
    },
  };
}

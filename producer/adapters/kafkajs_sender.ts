/**
 * The producer's Kafka adapter on kafkajs: one shared idempotent producer, every batch of a round in one
 * `sendBatch` (one Produce request per broker), and a check that the broker's answer covers each
 * topic-partition sent exactly once, without error and with an offset.
 */
import { Buffer } from "node:buffer";
import { type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import type { Logger } from "@kafka-edge/lib";
import { type BatchResult, type PartitionBatch, type PartitionSender, ProduceError } from "../core/ports.ts";
import type { OutboundRecord } from "../core/types.ts";
import { installKafkajsEncoderPatch, PATCHED_KAFKAJS_VERSION } from "./kafkajs_encoder.ts";
import { boundedMemo, REPEATED_VALUE_HEADERS } from "./header_cache.ts";
import { sendOrEachAlone } from "./send_alone.ts";

/** A {@link PartitionSender} that must be connected before use and disconnected at shutdown. */
export interface KafkajsSender extends PartitionSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

function bytes(b: Uint8Array | null): Buffer | null {
  return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Header values that repeat on every record of a topic. kafkajs measures and UTF-8-writes a string value
 * on every record (through Deno's slow `node:buffer`) but copies a Buffer as it is, so these are encoded
 * once and shared.
 */
const repeatedValue = boundedMemo((text) => Buffer.from(text, "utf8"));

function headerValue(name: string, value: string | Uint8Array): Buffer | string {
  if (typeof value !== "string") return bytes(value)!;
  return REPEATED_VALUE_HEADERS.has(name) ? repeatedValue(value) : value;
}

/**
 * A record as kafkajs takes it (exported for tools/bench/encode.ts). With `lean` (kafkajs_record.ts is
 * installed, which takes them) key, value and headers are handed over as they are: no Buffer per key and
 * value, no headers object per record.
 */
export function toMessage(record: OutboundRecord, partition: number, lean = false): Message {
  if (lean) {
    // The shapes kafkajs' own Record would misread; only the installed lean Record receives them.
    return { partition, key: record.key, value: record.value, headers: record.headers } as unknown as Message;
  }
  // A null-prototype object: a header literally named "__proto__" stays a header.
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = Object.create(null);
  for (const [name, value] of record.headers) {
    const v = headerValue(name, value);
    const prev = headers[name];
    headers[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { partition, key: bytes(record.key), value: bytes(record.value), headers };
}

/**
 * Broker answers about the producer's own idempotence state, not about the records: the gateway answers
 * them like an outage (503), never as a rejection of the events.
 */
const PRODUCER_STATE_ERRORS = new Set([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "DUPLICATE_SEQUENCE_NUMBER",
  "INVALID_PRODUCER_EPOCH",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_ID_MAPPING",
]);

function isProducerStateError(err: unknown): boolean {
  const e = err as { name?: string; type?: string };
  return e?.name === "KafkaJSProtocolError" && PRODUCER_STATE_ERRORS.has(e.type ?? "");
}

/** Classifies a kafkajs failure: retriable ones become 503, the rest a per-event rejection. */
export function classifyKafkaError(err: unknown): ProduceError {
  const e = err as { name?: string; message?: string; retriable?: boolean; type?: string; cause?: unknown };
  const message = e?.message ?? String(err);
  if (e?.retriable === false && e?.name === "KafkaJSProtocolError" && !isProducerStateError(err)) {
    return new ProduceError("kafka_rejected", `Kafka rejected the records: ${e.type ?? message}`, false);
  }
  return new ProduceError("kafka_unavailable", `Kafka is unavailable: ${message}`, true);
}

/** Creates the sender around one idempotent kafkajs producer. */
export function createKafkajsSender(kafka: Kafka, log: Logger): KafkajsSender {
  const patch = installKafkajsEncoderPatch();
  const lean = patch.patched;
  if (patch.patched) log.debug("kafkajs encoder patched", { kafkajs: PATCHED_KAFKAJS_VERSION });
  else log.warn("kafkajs encoder left unpatched: sends cost more CPU", { reason: patch.reason });
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Unused (every message names its partition) but explicit, which also silences kafkajs' v2 notice.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Idempotent kafkajs retries forever; cap the backoff so a send resumes within ~2 s of recovery.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  /**
   * Batches whose send failed without a verdict (timeout, connection lost or refused), by topic-partition.
   * The broker may have written such a batch, and kafkajs did not advance the partition's idempotent
   * sequence, so a *different* next batch would reuse its sequence numbers: the broker would take it for the
   * duplicate of the written one and acknowledge it with that one's offset — acknowledged, never written
   * (seen under a network cut) — or refuse it as out of order. So the failed batch is sent again, unchanged,
   * before anything else on its partition: written already, it is recognised as the duplicate it is;
   * otherwise it is written now (its events were answered 503: a client retry makes a duplicate, never a
   * loss). Memory: at most one batch (≤ MAX_BATCH_BYTES) per partition.
   */
  const unsettled = new Map<string, PartitionBatch>();

  /**
   * One `producer.sendBatch`; throws a {@link ProduceError} when kafkajs fails the call. A single-batch call
   * settles or records its batch in `unsettled`; a failed multi-batch call is re-sent one batch per call.
   */
  async function sendBatch(batches: readonly PartitionBatch[], timeoutMs: number): Promise<BatchResult[]> {
    // kafkajs keeps only the last entry of a topic named twice in topicMessages: one entry per topic.
    const byTopic = new Map<string, Message[]>();
    for (const { topic, partition, records } of batches) {
      let messages = byTopic.get(topic);
      if (messages === undefined) byTopic.set(topic, messages = []);
      for (const r of records) messages.push(toMessage(r, partition, lean));
    }
    let result;
    try {
      result = await producer.sendBatch({
        acks: -1,
        timeout: timeoutMs,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (err) {
      const error = classifyKafkaError(err);
      if (batches.length === 1) {
        // A refusal (the record's fault) or a producer-state answer is a verdict: nothing was written under
        // these sequence numbers. Anything else may have been.
        if (error.retriable && !isProducerStateError(err)) {
          unsettled.set(partitionKey(batches[0]), batches[0]);
        } else unsettled.delete(partitionKey(batches[0]));
      }
      throw error;
    }
    if (batches.length === 1) unsettled.delete(partitionKey(batches[0]));
    return batches.map((b): BatchResult => {
      const { topic, partition } = b;
      const mine = result.filter((m) => m.topicName === topic && m.partition === partition);
      if (mine.length !== 1 || mine[0].errorCode !== 0 || mine[0].baseOffset === undefined) {
        log.error("kafka acknowledgement does not cover the batch", { topic, partition, result });
        unsettled.set(partitionKey(b), b); // no word on it: it may be written
        return {
          ok: false,
          error: new ProduceError("kafka_rejected", "Kafka's acknowledgement did not cover the batch", true),
        };
      }
      return { ok: true, baseOffset: BigInt(mine[0].baseOffset) };
    });
  }

  async function replayUnsettled(batches: readonly PartitionBatch[], timeoutMs: number): Promise<void> {
    for (const b of batches) {
      const pending = unsettled.get(partitionKey(b));
      if (pending === undefined) continue;
      log.warn("re-sending a batch whose send failed without a verdict before the next one", {
        topic: pending.topic,
        partition: pending.partition,
        records: pending.records.length,
      });
      // While the replay has no verdict the new batches are not sent either (503): they would reuse its
      // sequence numbers.
      const [result] = await sendBatch([pending], timeoutMs);
      if (!result.ok) throw result.error;
    }
  }

  return {
    async connect() {
      await producer.connect();
      log.info("kafka producer connected");
    },
    async disconnect() {
      await producer.disconnect();
    },
    async sendMany(batches, timeoutMs) {
      await replayUnsettled(batches, timeoutMs);
      // kafkajs fails the whole call on the first partition error, with no word on the others: some may be
      // written. It also rewinds the idempotent sequence of every partition of the failed request (see
      // `unsettled`). Re-sending each batch alone, unchanged, restores both: a written one is recognised as
      // the duplicate it is (original offset), an unwritten one is written, and only the partition at fault
      // fails. (A partition on another broker, whose request succeeded, is not rewound: it is written twice
      // — a duplicate, never a loss.)
      return await sendOrEachAlone(batches, (b) => sendBatch(b, timeoutMs), log);
    },
  };
}

function partitionKey(b: PartitionBatch): string {
  return `${b.topic}\u0000${b.partition}`;
}

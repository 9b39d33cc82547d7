/**
 * The producer's Kafka adapter on @platformatic/kafka (`KAFKA_CLIENT=platformatic`): one shared idempotent
 * producer with acks=all, every batch of a round in one `send` (one Produce request per broker), and the
 * same check as the kafkajs adapter that the broker's answer covers each topic-partition exactly once.
 *
 * Why it exists: on this project's benchmark the raw client writes 3-5 × more events per CPU-second than
 * kafkajs (docs/benchmarks.md), and unlike kafkajs' idempotent producer it keeps several Produce requests
 * in flight per connection (the batcher still sends at most one batch per partition at a time, so order per
 * key holds). kafkajs stays the default.
 *
 * Failure semantics: the library retries a failed Produce with the same producer id and sequence numbers
 * (the broker drops what it already has), then gives up, and on giving up takes a new producer id. A batch
 * re-sent after that is a new write, so a batch that reached the broker before the failure can be stored
 * twice: a duplicate, never a loss, and every event id is in a header for consumers to dedupe.
 */
import { Buffer } from "node:buffer";
import type { MessageToProduce, Producer } from "@platformatic/kafka";
import { type KafkaSettings, type Logger, platformaticKafkaOptions, readTlsMaterial } from "@kafka-edge/lib";
import { type BatchResult, type PartitionBatch, type PartitionSender, ProduceError } from "../core/ports.ts";
import type { OutboundRecord } from "../core/types.ts";
import { boundedMemo, REPEATED_VALUE_HEADERS } from "./header_cache.ts";
import { sendOrEachAlone } from "./send_alone.ts";

/** A {@link PartitionSender} that must be connected before use and disconnected at shutdown. */
export interface PlatformaticSender extends PartitionSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/** acks=all (the library's `ProduceAcks.ALL`), spelled out so this module loads without the library. */
const ACKS_ALL = -1;

const utf8 = new TextEncoder();

function view(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Header names and the values that repeat on every record of a topic, encoded once. */
const cached = boundedMemo((text) => view(utf8.encode(text)));

/**
 * A record as the library takes it. Headers travel as a Map keyed by Buffer *objects*, which the library
 * writes in insertion order: a name repeated in one record gets a fresh Buffer, so no header is lost.
 */
export function toMessage(topic: string, partition: number, record: OutboundRecord): Message {
  const headers = new Map<Buffer, Buffer>();
  for (const [name, value] of record.headers) {
    let key = cached(name);
    if (headers.has(key)) key = view(utf8.encode(name));
    const v = typeof value !== "string"
      ? view(value)
      : REPEATED_VALUE_HEADERS.has(name)
      ? cached(value)
      : view(utf8.encode(value));
    headers.set(key, v);
  }
  return {
    topic,
    partition,
    key: record.key === null ? undefined : view(record.key),
    // The library writes a null value as Kafka's null (a tombstone), as kafkajs does.
    value: (record.value === null ? null : view(record.value)) as Buffer,
    headers,
  };
}

interface LibraryError {
  readonly message?: string;
  readonly code?: string;
  readonly apiId?: string;
  readonly canRetry?: boolean;
  readonly errors?: readonly unknown[];
}

function causes(err: unknown, out: LibraryError[] = []): LibraryError[] {
  const e = err as LibraryError | undefined;
  if (e === undefined || e === null) return out;
  out.push(e);
  for (const inner of e.errors ?? []) causes(inner, out);
  return out;
}

/**
 * Classifies a library failure: a broker answer that retrying cannot change (MESSAGE_TOO_LARGE,
 * authorization, invalid records) rejects the events; anything else (network, timeouts, leadership moves)
 * is Kafka being unavailable, which the gateway answers 503 + Retry-After.
 */
export function classifyPlatformaticError(err: unknown): ProduceError {
  const all = causes(err);
  const rejected = all.find((e) => e.code === "PLT_KFK_PROTOCOL" && e.canRetry === false);
  if (rejected) {
    return new ProduceError(
      "kafka_rejected",
      `Kafka rejected the records: ${rejected.apiId ?? rejected.message}`,
      false,
    );
  }
  const detail = all.filter((e) => !(e.errors?.length)).map((e) => e.message).filter(Boolean);
  const message = detail.length > 0 ? detail.join("; ") : (err as Error)?.message ?? String(err);
  return new ProduceError("kafka_unavailable", `Kafka is unavailable: ${message}`, true);
}

/** Creates the sender around one idempotent @platformatic/kafka producer. */
export function createPlatformaticSender(
  cfg: KafkaSettings,
  log: Logger,
  opts: {
    /** Broker-side acknowledgement timeout of every Produce request (the library takes one per client). */
    readonly sendTimeoutMs: number;
    readonly readTextFile?: (path: string) => string;
  },
): PlatformaticSender {
  const options = {
    ...platformaticKafkaOptions(cfg, readTlsMaterial(cfg, opts.readTextFile)),
    idempotent: true,
    acks: ACKS_ALL,
    autocreateTopics: false,
    timeout: opts.sendTimeoutMs,
  };
  let producer: Producer<Buffer, Buffer, Buffer, Buffer> | undefined;

  async function send(batches: readonly PartitionBatch[]): Promise<BatchResult[]> {
    const messages: Message[] = [];
    for (const { topic, partition, records } of batches) {
      for (const r of records) messages.push(toMessage(topic, partition, r));
    }
    let result;
    try {
      if (producer === undefined) throw new Error("the Kafka producer is not connected");
      result = await producer.send({ messages, acks: ACKS_ALL });
    } catch (err) {
      throw classifyPlatformaticError(err);
    }
    const offsets = result.offsets ?? [];
    return batches.map(({ topic, partition }): BatchResult => {
      const mine = offsets.filter((o) => o.topic === topic && o.partition === partition);
      if (mine.length !== 1 || typeof mine[0].offset !== "bigint" || mine[0].offset < 0n) {
        log.error("kafka acknowledgement does not cover the batch", {
          topic,
          partition,
          offsets: mine.length,
        });
        return {
          ok: false,
          error: new ProduceError("kafka_rejected", "Kafka's acknowledgement did not cover the batch", true),
        };
      }
      return { ok: true, baseOffset: mine[0].offset };
    });
  }

  return {
    async connect() {
      // The library connects lazily; asking for metadata proves the brokers answer and take our
      // credentials. It never settles after a refused SASL password (seen with 2.12.1 on Deno), so the
      // wait is bounded here and start-up fails with a pointer to the likely causes.
      const limitMs = cfg.KAFKA_CONNECTION_TIMEOUT * 3;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `Kafka did not answer within ${limitMs} ms (3 × KAFKA_CONNECTION_TIMEOUT): check KAFKA_BROKERS, ` +
                  "KAFKA_TLS* and KAFKA_SASL_* (a refused SASL password looks like this with @platformatic/kafka)",
              ),
            ),
          limitMs,
        );
      });
      try {
        // Loaded on first use: a gateway on kafkajs (the default) never pays for this library's memory.
        const { Producer } = await import("@platformatic/kafka");
        producer ??= new Producer<Buffer, Buffer, Buffer, Buffer>(options);
        await Promise.race([producer.metadata({ topics: [] }), deadline]);
      } finally {
        clearTimeout(timer);
      }
      log.info("kafka producer connected", { client: "@platformatic/kafka" });
    },
    async disconnect() {
      await producer?.close();
    },
    sendMany(batches) {
      // The library gave up on the failed request and took a new producer id, so a batch that reached the
      // broker is written again: a duplicate, never a loss (module comment).
      return sendOrEachAlone(batches, send, log);
    },
  };
}

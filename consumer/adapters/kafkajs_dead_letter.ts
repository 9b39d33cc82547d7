/**
 * Writes dead letters with an idempotent acks=all producer; `send` resolves only once every copy is
 * replicated, which is what allows the runtime to commit past the original record.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type IHeaders, type Kafka, type Message, Partitioners } from "kafkajs";
import type { HeaderValue } from "@kafka-edge/lib";
import type { DeadLetterRecord } from "../core/dead_letter.ts";

/** The dead-letter producer. */
export interface DeadLetterProducer {
  connect(): Promise<void>;
  send(records: readonly DeadLetterRecord[]): Promise<void>;
  disconnect(): Promise<void>;
}

function buffer(bytes: Uint8Array | string): Buffer | string {
  return typeof bytes === "string" ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function headers(input: Readonly<Record<string, HeaderValue>>): IHeaders {
  // A null-prototype object: a header literally named "__proto__" stays a header.
  const out: IHeaders = Object.create(null);
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(buffer) : buffer(value as Uint8Array | string);
  }
  return out;
}

/** Converts a dead letter to a kafkajs message, bytes unchanged. */
export function toDeadLetterMessage(record: DeadLetterRecord): Message {
  return {
    key: record.key === null ? null : buffer(record.key) as Buffer,
    value: record.value === null ? null : buffer(record.value) as Buffer,
    headers: headers(record.headers),
  };
}

/** Creates the producer for `topic`; `timeoutMs` bounds each send, retries included. */
export function createDeadLetterProducer(
  kafka: Kafka,
  topic: string,
  timeoutMs = 30_000,
): DeadLetterProducer {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  return {
    connect: () => producer.connect(),
    async send(records) {
      if (records.length === 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no acknowledgement within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([
          producer.send({ topic, acks: -1, timeout: timeoutMs, messages: records.map(toDeadLetterMessage) }),
          timeout,
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    disconnect: () => producer.disconnect(),
  };
}

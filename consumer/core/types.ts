/** Records as the runtime sees them before and after decoding. */
import type { HeaderValue } from "@kafka-edge/lib";

/** One record as fetched from Kafka, with its raw headers kept for the dead-letter topic. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Decimal string: offsets exceed 2^53 in long-lived topics. */
  readonly offset: string;
  /** Epoch milliseconds as a decimal string, as kafkajs reports it. */
  readonly timestamp: string;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** Why a record was given up on: a permanent error, or a transient one whose retries ran out. */
export interface Failure {
  /** Class name of the error, e.g. "SinkError", "EnvelopeError". */
  readonly errorClass: string;
  readonly message: string;
  readonly kind: "transient" | "permanent";
  /** Write attempts made; 0 when the record never reached the sink (undecodable, projection missing). */
  readonly attempts: number;
}

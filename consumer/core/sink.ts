/**
 * The sink plug-in point: one interface, one file per implementation under consumer/sinks/, and one shared
 * contract suite (consumer/sinks/contract_test.ts) that every implementation passes.
 *
 * Delivery is at-least-once: the runtime commits a record's offset only after `write` resolved without
 * reporting it as failed, so a sink sees records again after a crash or rebalance and must make replays
 * harmless (idempotent ids, deterministic object keys, ON CONFLICT DO NOTHING).
 */
import type { Envelope } from "@kafka-edge/lib";

/** One consumed record, decoded once by the runtime. */
export interface SinkRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (offsets exceed 2^53 in long-lived topics). */
  readonly offset: string;
  /** Kafka record timestamp in epoch milliseconds. */
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  /** The raw value bytes as stored in Kafka. */
  readonly value: Uint8Array | null;
  /** Kafka headers decoded as UTF-8 (last value wins for repeated names). */
  readonly headers: Readonly<Record<string, string>>;
  /** The record as a CloudEvent (binary, structured, plain JSON or raw bytes; see lib/envelope.ts). */
  readonly event: Envelope;
}

/** Transient failures are retried with backoff; permanent ones go to the dead-letter topic at once. */
export type SinkErrorKind = "transient" | "permanent";

/** A classified delivery failure. Anything else a sink throws counts as transient. */
export class SinkError extends Error {
  constructor(message: string, readonly kind: SinkErrorKind, readonly retryAfterMs?: number) {
    super(message);
    this.name = "SinkError";
  }
}

/** What `write` reports: nothing for full success, else the failed records by index into the batch. */
export interface SinkWriteResult {
  readonly failures?: ReadonlyArray<{ readonly index: number; readonly error: SinkError }>;
}

/** Context of one write. */
export interface SinkContext {
  /** Aborted when the worker must stop (shutdown deadline, partition revoked). */
  readonly signal: AbortSignal;
}

/**
 * What a sink reads of each record. "event" (the default): the runtime decodes every record into its
 * CloudEvent before the write, and an undecodable one goes to the dead-letter topic without a write.
 * "bytes": the sink uses only topic/partition/offset/timestamp/key/value, so (without FILTER or
 * PROJECTION) records arrive undecoded; `headers` and `event` still work but decode on first access, and
 * `event` throws for a record that is not an event.
 */
export type SinkReads = "event" | "bytes";

/** A destination for consumed events. */
export interface Sink {
  readonly name: string;
  /** Default "event"; see {@link SinkReads}. */
  readonly reads?: SinkReads;
  /** Opens connections, creates tables/indices/buckets as needed; fails start-up with a clear error. */
  start(): Promise<void>;
  /**
   * Delivers `records` (all from one topic-partition, in offset order) durably, or reports which failed.
   * Throwing means the whole batch failed (a SinkError says how; other errors are transient).
   */
  write(records: readonly SinkRecord[], ctx: SinkContext): Promise<SinkWriteResult>;
  /** Releases connections; called once at shutdown after the last write settled. */
  close(): Promise<void>;
}

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

/** A destination for consumed events. */
export interface Sink {
  readonly name: string;
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

/**
 * The two things the producer core needs from Kafka. Only adapters implement them, so the client library
 * (kafkajs today) can be swapped and the core tested without a broker.
 */
import type { OutboundRecord } from "./types.ts";

/** All records of one batch go to one topic-partition, so one acknowledgement covers them all. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly OutboundRecord[];
}

/** What became of one {@link PartitionBatch} of a {@link PartitionSender.sendMany} call. */
export type BatchResult =
  | { readonly ok: true; /** Offset of the batch's first record. */ readonly baseOffset: bigint }
  | { readonly ok: false; readonly error: ProduceError };

/**
 * Writes batches with acks=all. One call carries batches of distinct topic-partitions, so the client can
 * pack them into one request per broker instead of one request per partition.
 */
export interface PartitionSender {
  /**
   * Resolves one result per batch, in order: a batch the broker's answer does not cover fails alone.
   * Rejects (with a {@link ProduceError} or anything else) only when the whole call failed.
   * @param timeoutMs broker-side acknowledgement timeout for this call
   */
  sendMany(batches: readonly PartitionBatch[], timeoutMs: number): Promise<readonly BatchResult[]>;
}

/** Partition counts and broker reachability, refreshed in the background. */
export interface ClusterView {
  /** Partition count of a topic, or undefined when unknown (not yet fetched or topic missing). */
  partitions(topic: string): number | undefined;
  /** True while metadata was refreshed recently and the producer is connected. */
  healthy(): boolean;
}

/** Why a record was not acknowledged. `retriable` failures become 503 + Retry-After. */
export class ProduceError extends Error {
  constructor(
    readonly code: "kafka_unavailable" | "kafka_timeout" | "kafka_rejected" | "shutting_down",
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = "ProduceError";
  }
}

/**
 * The two things the producer core needs from Kafka. Only adapters implement them, so the client library
 * (kafkajs today) can be swapped and the core tested without a broker.
 */
import type { OutboundRecord } from "./types.ts";

/** All records of one send go to one topic-partition, so one acknowledgement covers them all. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly OutboundRecord[];
  /** Broker-side acknowledgement timeout for this send. */
  readonly timeoutMs: number;
}

/** Writes a batch with acks=all; resolves with the offset of the first record. */
export interface PartitionSender {
  send(batch: PartitionBatch): Promise<{ readonly baseOffset: bigint }>;
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

/**
 * Whether a topic can take acks=all writes right now. Fresh metadata alone is not enough: with 2 of 3
 * brokers down the survivor still answers metadata requests, yet every produce fails with
 * NOT_ENOUGH_REPLICAS. Readiness must say so, or Kubernetes keeps routing requests that can only time out.
 */

/** The part of partition metadata this check reads. */
export interface PartitionState {
  readonly partitionId: number;
  /** -1 (or negative) when the partition has no leader. */
  readonly leader: number;
  readonly isr: readonly number[];
}

/** Why a topic cannot be written, or undefined when it can. */
export function unwritableReason(
  topic: string,
  partitions: readonly PartitionState[],
  minInsyncReplicas: number,
): string | undefined {
  if (partitions.length === 0) return `topic "${topic}" has no partitions`;
  const leaderless = partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
  if (leaderless.length > 0) return `topic "${topic}" partitions ${leaderless.join(",")} have no leader`;
  const short = partitions.filter((p) => p.isr.length < minInsyncReplicas).map((p) => p.partitionId);
  if (short.length > 0) {
    return `topic "${topic}" partitions ${short.join(",")} have fewer in-sync replicas than ` +
      `min.insync.replicas=${minInsyncReplicas}, so acks=all writes fail`;
  }
  return undefined;
}

/**
 * The fallback both Kafka adapters share when one request carrying several partitions' batches fails: the
 * client's error says nothing reliable about the other partitions, so each batch is sent again on its own
 * and only the partition at fault fails. Why a re-send cannot lose or silently drop a batch depends on the
 * client's idempotence, so each adapter says it where it calls this.
 */
import type { Logger } from "@kafka-edge/lib";
import { type BatchResult, type PartitionBatch, ProduceError } from "../core/ports.ts";

/** One client call for `batches`; rejects with a {@link ProduceError} when the whole call failed. */
export type SendBatches = (batches: readonly PartitionBatch[]) => Promise<readonly BatchResult[]>;

/** `send(batches)`, and after a failed multi-partition call, each batch alone. */
export async function sendOrEachAlone(
  batches: readonly PartitionBatch[],
  send: SendBatches,
  log: Logger,
): Promise<readonly BatchResult[]> {
  try {
    return await send(batches);
  } catch (err) {
    if (batches.length === 1) throw err;
    log.warn("a multi-partition send failed; re-sending its batches one by one", {
      batches: batches.length,
      error: err,
    });
    return await Promise.all(batches.map((b) =>
      send([b]).then(
        ([r]) => r,
        (e: unknown): BatchResult => ({
          ok: false,
          error: e instanceof ProduceError ? e : new ProduceError("kafka_unavailable", String(e), true),
        }),
      )
    ));
  }
}

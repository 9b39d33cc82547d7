/**
 * The offsets tool's arithmetic and its table: where each partition of a group would move, clamped into the
 * log's current range, without any I/O.
 *
 * @module
 */

/** How to move the group. */
export type ResetTarget =
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" }
  | { readonly kind: "time"; readonly epochMs: number }
  | { readonly kind: "shift"; readonly by: bigint };

/** What Kafka says about one partition. */
export interface PartitionState {
  readonly partition: number;
  /** The group's committed offset, or undefined when the group never committed on this partition. */
  readonly committed?: bigint;
  /** Log-start offset (earliest retained). */
  readonly low: bigint;
  /** Log-end offset (high watermark). */
  readonly high: bigint;
  /** For `time` targets: the first offset with a timestamp ≥ the target, or undefined when none is. */
  readonly atTime?: bigint;
}

/** One row of the plan. */
export interface PlannedPartition extends PartitionState {
  /** The new offset, or undefined when the partition stays as it is (see `note`). */
  readonly next?: bigint;
  readonly note?: string;
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}

/** Computes each partition's new offset. */
export function planReset(target: ResetTarget, partitions: readonly PartitionState[]): PlannedPartition[] {
  return partitions.map((p) => {
    switch (target.kind) {
      case "earliest":
        return { ...p, next: p.low };
      case "latest":
        return { ...p, next: p.high };
      case "time":
        // No record at or after the time: the group resumes at the end, as Kafka's own tool does.
        return { ...p, next: clamp(p.atTime ?? p.high, p.low, p.high) };
      case "shift": {
        if (p.committed === undefined) return { ...p, note: "no committed offset to shift; unchanged" };
        const next = clamp(p.committed + target.by, p.low, p.high);
        return {
          ...p,
          next,
          ...(next !== p.committed + target.by ? { note: "clamped to the log range" } : {}),
        };
      }
    }
  });
}

/** Renders the before/after table, one row per partition, columns aligned. */
export function formatPlan(topic: string, plan: readonly PlannedPartition[]): string {
  const header = ["TOPIC", "PARTITION", "OLD-COMMITTED", "NEW", "LOG-START", "LOG-END", "NOTE"];
  const rows = plan.map((p) => [
    topic,
    String(p.partition),
    p.committed === undefined ? "-" : String(p.committed),
    p.next === undefined ? "-" : String(p.next),
    String(p.low),
    String(p.high),
    p.note ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()).join(
    "\n",
  );
}

/** Parses the CLI's `--to-time` value: ISO 8601 with a zone, or epoch milliseconds. */
export function parseTime(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

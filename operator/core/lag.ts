/**
 * From a short history of offset reads to the decision function's view of Kafka (`LagObservation`).
 *
 * Rates are slopes of offsets, which are exact counters, so the difference between two reads is the exact
 * number of events produced (or committed) in between. Time lag follows kafka-lag-exporter: the committed
 * offset's production time is interpolated from the history of (log-end offset, read time) points of its
 * partition, and extrapolated with the partition's rate when it is older than the history.
 *
 * @module
 */

import type { LagObservation, LagSample, PartitionOffsets } from "./types.ts";

/** How the history is read; every field has a default. */
export interface LagOptions {
  /** Rates are the slope over the newest this-many seconds of history (default 5 s). */
  readonly rateWindowSeconds?: number;
  /** A partition stalls when its committed offset did not move across this many samples (default 3)… */
  readonly stallSamples?: number;
  /** …spanning at least this many seconds (default 60), while it had lag the whole time. */
  readonly stallSeconds?: number;
  /** Log-start offsets by `partitionKey`, for partitions without a committed offset (see partitionLag). */
  readonly logStartOffsets?: ReadonlyMap<string, bigint>;
}

/**
 * One 5 s poll: offsets are exact counters, so a short window is not noisy in the way a sampled gauge is, and a
 * step is seen whole one poll after it happened (a longer window still mixes in the old rate then).
 */
export const DEFAULT_RATE_WINDOW_SECONDS = 5;
export const DEFAULT_STALL_SAMPLES = 3;
/** Longer than a kafkajs rebalance plus a slow batch, so a paused group is not mistaken for a stuck one. */
export const DEFAULT_STALL_SECONDS = 60;

/** The map key of one partition. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/**
 * Events not yet consumed in one partition. Without a committed offset the group will start from the log
 * start (auto.offset.reset=earliest, what our workers use), so everything retained is lag: logEnd − logStart
 * when the log start is known, else logEnd (a log that never lost a segment starts at 0).
 */
export function partitionLag(offsets: PartitionOffsets, logStartOffset?: bigint): number {
  const from = offsets.committedOffset ?? logStartOffset ?? 0n;
  const lag = offsets.logEndOffset - from;
  return lag > 0n ? Number(lag) : 0;
}

/** The history with `sample` appended (kept in time order) and samples older than `retainSeconds` dropped. */
export function appendSample(
  history: readonly LagSample[],
  sample: LagSample,
  retainSeconds: number,
): LagSample[] {
  const oldest = sample.at - retainSeconds * 1000;
  const kept = history.filter((s) => s.at >= oldest && s.at < sample.at);
  kept.push(sample);
  return kept;
}

function offsetsByKey(sample: LagSample): Map<string, PartitionOffsets> {
  return new Map(sample.partitions.map((p) => [partitionKey(p.topic, p.partition), p]));
}

/** The oldest sample not older than `windowSeconds` before the newest; the previous one if none is. */
function windowStart(history: readonly LagSample[], windowSeconds: number): LagSample {
  const newest = history[history.length - 1];
  let start = history[history.length - 2];
  for (let i = history.length - 2; i >= 0; i--) {
    if (newest.at - history[i].at > windowSeconds * 1000) break;
    start = history[i];
  }
  return start;
}

/**
 * Events/s produced (slope of log-end offsets) and committed (slope of committed offsets) over the newest
 * `windowSeconds`. Zero with fewer than two samples. A partition whose offset went backwards (topic
 * recreated, offsets reset) contributes nothing rather than a negative rate.
 */
export function offsetRates(
  history: readonly LagSample[],
  windowSeconds = DEFAULT_RATE_WINDOW_SECONDS,
): { readonly arrivalRate: number; readonly processingRate: number } {
  if (history.length < 2) return { arrivalRate: 0, processingRate: 0 };
  const newest = history[history.length - 1];
  const start = windowStart(history, windowSeconds);
  const seconds = (newest.at - start.at) / 1000;
  if (seconds <= 0) return { arrivalRate: 0, processingRate: 0 };
  const before = offsetsByKey(start);
  let produced = 0n;
  let committed = 0n;
  for (const now of newest.partitions) {
    const then = before.get(partitionKey(now.topic, now.partition));
    if (!then) continue;
    const logDelta = now.logEndOffset - then.logEndOffset;
    if (logDelta > 0n) produced += logDelta;
    if (now.committedOffset !== null && then.committedOffset !== null) {
      const commitDelta = now.committedOffset - then.committedOffset;
      if (commitDelta > 0n) committed += commitDelta;
    }
  }
  return { arrivalRate: Number(produced) / seconds, processingRate: Number(committed) / seconds };
}

/**
 * Age (s) at `now` of the oldest unconsumed event of one partition, whose offset is `position` (the committed
 * offset, or the log start without one). That event was produced when the log end first passed `position`;
 * the time is interpolated between the two reads around that crossing. When the crossing is older than the
 * history, it is extrapolated back with the partition's production rate over the history; without any
 * production in the history the age is at least the history's span, which is returned.
 */
export function partitionTimeLag(
  history: readonly LagSample[],
  key: string,
  position: bigint,
  now: number,
): number {
  const points: Array<{ readonly at: number; readonly logEnd: bigint }> = [];
  for (const sample of history) {
    const p = sample.partitions.find((o) => partitionKey(o.topic, o.partition) === key);
    if (p) points.push({ at: sample.at, logEnd: p.logEndOffset });
  }
  if (points.length === 0) return 0;
  const newest = points[points.length - 1];
  // The event at `position` exists once the log end is position + 1.
  const target = position + 1n;
  if (newest.logEnd < target) return 0;
  const first = points.findIndex((p) => p.logEnd >= target);
  if (first > 0) {
    const a = points[first - 1];
    const b = points[first];
    const fraction = Number(target - a.logEnd) / Number(b.logEnd - a.logEnd);
    return Math.max(0, (now - (a.at + fraction * (b.at - a.at))) / 1000);
  }
  const oldest = points[0];
  const spanSeconds = (newest.at - oldest.at) / 1000;
  const produced = Number(newest.logEnd - oldest.logEnd);
  if (spanSeconds <= 0 || produced <= 0) return Math.max(0, (now - oldest.at) / 1000);
  const rate = produced / spanSeconds;
  const producedAt = oldest.at - (Number(oldest.logEnd - target) / rate) * 1000;
  return Math.max(0, (now - producedAt) / 1000);
}

/**
 * Partitions whose committed offset stayed the same across the newest `stallSamples` samples spanning at
 * least `stallSeconds`, with lag in every one of them (Burrow's STALL). A partition without a committed offset
 * is never stalled: nobody has consumed it yet, so it cannot be stuck.
 */
export function stalledPartitions(
  history: readonly LagSample[],
  options: LagOptions = {},
): Array<{ readonly topic: string; readonly partition: number; readonly lag: number }> {
  const samples = options.stallSamples ?? DEFAULT_STALL_SAMPLES;
  const seconds = options.stallSeconds ?? DEFAULT_STALL_SECONDS;
  if (history.length === 0) return [];
  const newest = history[history.length - 1];
  const stalled = [];
  for (const p of newest.partitions) {
    if (p.committedOffset === null || partitionLag(p) === 0) continue;
    const key = partitionKey(p.topic, p.partition);
    let count = 0;
    let since = newest.at;
    for (let i = history.length - 1; i >= 0; i--) {
      const then = history[i].partitions.find((o) => partitionKey(o.topic, o.partition) === key);
      if (!then || then.committedOffset !== p.committedOffset || partitionLag(then) === 0) break;
      count++;
      since = history[i].at;
    }
    if (count >= samples && (newest.at - since) / 1000 >= seconds) {
      stalled.push({ topic: p.topic, partition: p.partition, lag: partitionLag(p) });
    }
  }
  return stalled;
}

/**
 * The observation for the newest sample of `history` (time order, oldest first), or undefined with fewer than
 * two samples: one read knows no rate, and an arrival rate of 0 would read as "idle" and scale the group down.
 * decide() treats undefined as "cannot judge": fail-static. Totals and `maxPartitionLag` cover every partition; `timeLagSeconds` covers the partitions that
 * are not stalled, because it is the age scaling can act on (stalled ones are listed with their lag).
 */
export function observeLag(
  history: readonly LagSample[],
  options: LagOptions = {},
): LagObservation | undefined {
  if (history.length < 2) return undefined;
  const newest = history[history.length - 1];
  const stalled = stalledPartitions(history, options);
  const stalledKeys = new Set(stalled.map((s) => partitionKey(s.topic, s.partition)));
  let totalLag = 0;
  let maxPartitionLag = 0;
  let partitionsWithLag = 0;
  let timeLagSeconds = 0;
  for (const p of newest.partitions) {
    const key = partitionKey(p.topic, p.partition);
    const logStart = options.logStartOffsets?.get(key);
    const lag = partitionLag(p, logStart);
    totalLag += lag;
    maxPartitionLag = Math.max(maxPartitionLag, lag);
    if (lag === 0) continue;
    partitionsWithLag++;
    if (stalledKeys.has(key)) continue;
    const position = p.committedOffset ?? logStart ?? 0n;
    timeLagSeconds = Math.max(timeLagSeconds, partitionTimeLag(history, key, position, newest.at));
  }
  const { arrivalRate, processingRate } = offsetRates(history, options.rateWindowSeconds);
  return {
    at: newest.at,
    partitionCount: newest.partitions.length,
    totalLag,
    maxPartitionLag,
    partitionsWithLag,
    arrivalRate,
    processingRate,
    timeLagSeconds,
    stalled,
  };
}

/**
 * The numbers of one table row, computed from a Run and the oracle.
 *
 * @module
 */

import type { OracleRun } from "./oracle.ts";
import type { Run } from "./run.ts";

/** One row of a trace's table. */
export interface RowMetrics {
  readonly policy: string;
  /** Seconds from the onset to the first scale write; null if none. */
  readonly firstWriteSeconds: number | null;
  /** Seconds from the onset until as many members consume as the oracle needed for the disturbance. */
  readonly timeToCapacitySeconds: number | null;
  /** Seconds from the first write until the lag is back under two seconds of arrivals; null if never. */
  readonly drainSeconds: number | null;
  readonly maxTimeLagSeconds: number;
  /** ∫ lag dt (event·seconds). */
  readonly backlogSeconds: number;
  readonly replicaSeconds: number;
  readonly replicaSecondsVsOracle: number;
  readonly writes: number;
  /** Scale-ups between the onset and the end of the drain (1 = full count in one write). */
  readonly upWritesToDrain: number;
  /** Changes of direction between consecutive writes. */
  readonly reversals: number;
  readonly maxReplicas: number;
  readonly partitions: number;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The capacity the oracle needed for the disturbance: its peak over the first drain target after the onset. */
function capacityTarget(run: Run, oracle: OracleRun, targetDrainSeconds: number): number {
  const from = run.trace.onsetSeconds;
  return Math.max(...oracle.replicas.slice(from, from + targetDrainSeconds));
}

/** Metrics of `run` against `oracle`. */
export function rowMetrics(run: Run, oracle: OracleRun, targetDrainSeconds: number): RowMetrics {
  const { trace } = run;
  const onset = trace.onsetSeconds;
  const firstWrite = run.writes.find((w) => w.at >= onset);
  const target = capacityTarget(run, oracle, targetDrainSeconds);
  const capacityAt = run.consuming.findIndex((c, t) => t >= onset && c >= target);
  let drainedAt = -1;
  if (firstWrite) {
    drainedAt = run.lag.findIndex((lag, t) => t > firstWrite.at && lag <= 2 * trace.arrival(t));
  }
  const drainEnd = drainedAt >= 0 ? drainedAt : trace.durationSeconds;
  let reversals = 0;
  for (let i = 1; i < run.writes.length; i++) {
    const before = Math.sign(run.writes[i - 1].to - run.writes[i - 1].from);
    const now = Math.sign(run.writes[i].to - run.writes[i].from);
    if (before !== now) reversals++;
  }
  const replicaSeconds = sum(run.replicas);
  return {
    policy: run.policy,
    firstWriteSeconds: firstWrite ? firstWrite.at - onset : null,
    timeToCapacitySeconds: capacityAt >= 0 ? capacityAt + 1 - onset : null,
    drainSeconds: trace.drains && firstWrite && drainedAt >= 0 ? drainedAt + 1 - firstWrite.at : null,
    maxTimeLagSeconds: Math.max(...run.timeLag),
    backlogSeconds: sum(run.lag),
    replicaSeconds,
    replicaSecondsVsOracle: replicaSeconds / sum(oracle.replicas),
    writes: run.writes.length,
    upWritesToDrain: run.writes.filter((w) => w.at >= onset && w.at <= drainEnd && w.to > w.from).length,
    reversals,
    maxReplicas: Math.max(...run.replicas),
    partitions: trace.partitions,
  };
}

/** The oracle as a row, for the tables. */
export function oracleMetrics(oracle: OracleRun, partitions: number): RowMetrics {
  const replicaSeconds = sum(oracle.replicas);
  return {
    policy: "oracle",
    firstWriteSeconds: null,
    timeToCapacitySeconds: 0,
    drainSeconds: oracle.drainedAt,
    // The fluid oracle does not track event ages.
    maxTimeLagSeconds: Number.NaN,
    backlogSeconds: sum(oracle.lag),
    replicaSeconds,
    replicaSecondsVsOracle: 1,
    writes: 0,
    upWritesToDrain: 0,
    reversals: 0,
    maxReplicas: Math.max(...oracle.replicas),
    partitions,
  };
}

/**
 * The yardstick: the fewest replicas that keep lag at its target with perfect knowledge of the future
 * arrivals, no pod start delay and no rebalance pause, under the same round-robin assignment as the group
 * (the assignor is Kafka's physics, not the policy's choice). A backlog present at t = 0 is drained at a
 * constant rate within the drain target where one consumer can do it, else as fast as a dedicated owner can.
 * Unreachable by any real policy; replica-seconds are compared against it.
 *
 * @module
 */

import type { Trace } from "./trace.ts";

/** The oracle's replica count per second, and when its backlog is gone. */
export interface OracleRun {
  readonly replicas: number[];
  readonly lag: number[];
  readonly drainedAt: number;
}

/** The fewest members m for which every round-robin member (partitions p ≡ j mod m) fits in `rate`. */
export function roundRobinFit(demands: readonly number[], rate: number): number {
  for (let m = 1; m < demands.length; m++) {
    const loads = Array.from({ length: m }, () => 0);
    demands.forEach((d, p) => (loads[p % m] += d));
    if (Math.max(...loads) <= rate + 1e-9) return m;
  }
  return demands.length;
}

/** Run the fluid oracle over `trace` at `serviceRate` events/s per replica. */
export function runOracle(
  trace: Trace,
  serviceRate: number,
  targetDrainSeconds: number,
  minReplicas: number,
): OracleRun {
  const lagLeft = trace.preload.map((n) => n);
  const drainRate = trace.preload.map((n) => n / targetDrainSeconds);
  const replicas: number[] = [];
  const lag: number[] = [];
  let drainedAt = 0;
  for (let t = 0; t < trace.durationSeconds; t++) {
    const arrival = Math.max(0, trace.arrival(t));
    const demands: number[] = [];
    for (let p = 0; p < trace.partitions; p++) {
      const own = arrival * trace.weights[p];
      const drain = Math.min(lagLeft[p], drainRate[p], Math.max(0, serviceRate - own));
      lagLeft[p] -= drain;
      demands.push(own + drain);
    }
    const total = lagLeft.reduce((a, b) => a + b, 0);
    if (total > 1e-6) drainedAt = t + 1;
    replicas.push(Math.max(minReplicas, roundRobinFit(demands, serviceRate)));
    lag.push(total);
  }
  return { replicas, lag, drainedAt };
}

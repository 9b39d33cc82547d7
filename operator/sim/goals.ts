/**
 * The targets our policy is held to, checked per trace. They are printed, not asserted: a failing goal is a
 * reason to improve decide(), not to fail a build on a simulation.
 *
 * @module
 */

import type { RowMetrics } from "./metrics.ts";
import type { Trace } from "./trace.ts";

/** One goal's verdict on one trace. */
export interface GoalResult {
  readonly goal: string;
  readonly pass: boolean;
  readonly detail: string;
}

/** Verdicts for `ours` on `trace`, against the oracle and every KEDA row. */
export function evaluateGoals(
  trace: Trace,
  ours: RowMetrics,
  oracle: RowMetrics,
  keda: readonly RowMetrics[],
  targetDrainSeconds: number,
): GoalResult[] {
  const results: GoalResult[] = [];
  if (trace.drains) {
    results.push({
      goal: "full count in one write",
      pass: ours.upWritesToDrain === 1,
      detail: `${ours.upWritesToDrain} scale-up write(s) until drained`,
    });
    // Where one consumer cannot drain a hot partition within the target, the physical bound is the target.
    const budget = 1.25 * Math.max(targetDrainSeconds, oracle.drainSeconds ?? 0);
    results.push({
      goal: "drain ≤ 1.25 × max(targetDrainSeconds, physical bound)",
      pass: ours.drainSeconds !== null && ours.drainSeconds <= budget,
      detail: `${ours.drainSeconds ?? "never"} s ≤ ${budget} s`,
    });
  }
  if (trace.periodSeconds !== undefined) {
    const periods = trace.durationSeconds / trace.periodSeconds;
    results.push({
      goal: "≤ 2 reversals per period",
      pass: ours.reversals <= 2 * periods,
      detail: `${ours.reversals} reversals in ${periods} periods`,
    });
  }
  if (trace.noise === undefined) {
    results.push({
      goal: "replica-seconds ≤ 1.15 × oracle",
      pass: ours.replicaSecondsVsOracle <= 1.15,
      detail: `${ours.replicaSecondsVsOracle.toFixed(3)} × oracle`,
    });
  }
  results.push({
    goal: "never above partitions",
    pass: ours.maxReplicas <= ours.partitions,
    detail: `max ${ours.maxReplicas} / ${ours.partitions}`,
  });
  for (const k of keda) {
    const behind = [
      ours.maxTimeLagSeconds > k.maxTimeLagSeconds ? "max time lag" : "",
      ours.backlogSeconds > k.backlogSeconds ? "backlog-seconds" : "",
      ours.replicaSeconds > k.replicaSeconds ? "replica-seconds" : "",
    ].filter((s) => s !== "");
    results.push({
      goal: `ahead of ${k.policy}`,
      pass: behind.length === 0,
      detail: behind.length === 0
        ? "no worse on max time lag, backlog-seconds and replica-seconds"
        : `behind on ${behind.join(", ")}`,
    });
  }
  return results;
}

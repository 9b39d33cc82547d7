/**
 * Run every trace under every policy and gather rows, goals and the series for the plots.
 *
 * @module
 */

import { resolveSettings } from "../core/settings.ts";
import { evaluateGoals, type GoalResult } from "./goals.ts";
import { kedaPolicy } from "./keda.ts";
import { oracleMetrics, type RowMetrics, rowMetrics } from "./metrics.ts";
import { type OracleRun, runOracle } from "./oracle.ts";
import { oursPolicy } from "./ours.ts";
import { type Run, simulate } from "./run.ts";
import { KEDA_CONFIGS, SIM_PHYSICS, SIM_SPEC } from "./scenario.ts";
import type { Trace } from "./trace.ts";

/** Everything about one trace. */
export interface TraceReport {
  readonly trace: Trace;
  readonly rows: RowMetrics[];
  readonly goals: GoalResult[];
  readonly runs: Run[];
  readonly oracle: OracleRun;
}

/** Simulate `trace` under our policy, each KEDA configuration and the oracle. */
export function reportTrace(trace: Trace): TraceReport {
  const settings = resolveSettings(SIM_SPEC);
  const drain = settings.targetDrainSeconds;
  const oracle = runOracle(trace, SIM_PHYSICS.serviceRate, drain, settings.minReplicas);
  const runs = [
    simulate(trace, oursPolicy(SIM_SPEC), { physics: SIM_PHYSICS }),
    ...KEDA_CONFIGS.map((config) => simulate(trace, kedaPolicy(config), { physics: SIM_PHYSICS })),
  ];
  const [ours, ...keda] = runs.map((run) => rowMetrics(run, oracle, drain));
  const oracleRow = oracleMetrics(oracle, trace.partitions);
  return {
    trace,
    rows: [ours, ...keda, oracleRow],
    goals: evaluateGoals(trace, ours, oracleRow, keda, drain),
    runs,
    oracle,
  };
}

/**
 * One policy over one trace, second by second, recording what the report needs.
 *
 * @module
 */

import {
  consumingMembers,
  createGroup,
  DEFAULT_PHYSICS,
  type GroupPhysics,
  replicas,
  sampleOffsets,
  scaleTo,
  tick,
  totalLag,
  trueTimeLag,
} from "./group.ts";
import type { Policy } from "./policy.ts";
import type { Trace } from "./trace.ts";

/** A scale write as the Deployment received it. */
export interface Write {
  readonly at: number;
  readonly from: number;
  readonly to: number;
}

/** Per-second series (index t = state at the end of second t) and the writes. */
export interface Run {
  readonly policy: string;
  readonly trace: Trace;
  readonly lag: number[];
  readonly timeLag: number[];
  readonly replicas: number[];
  readonly consuming: number[];
  readonly writes: Write[];
}

/** Knobs of a simulation beyond the trace. */
export interface RunOptions {
  readonly physics?: GroupPhysics;
  /** Seconds at which reading offsets fails (a broker outage seen by the lag reader). */
  readonly readFails?: (t: number) => boolean;
}

/** Simulate `policy` on `trace`. Deterministic: the same arguments give the same Run. */
export function simulate(trace: Trace, policy: Policy, options: RunOptions = {}): Run {
  const group = createGroup(trace, options.physics ?? DEFAULT_PHYSICS);
  const run: Run = {
    policy: policy.name,
    trace,
    lag: [],
    timeLag: [],
    replicas: [],
    consuming: [],
    writes: [],
  };
  for (let t = 0; t < trace.durationSeconds; t++) {
    const current = replicas(group);
    const desired = policy.step({
      now: t,
      replicas: current,
      partitions: trace.partitions,
      read: () => (options.readFails?.(t) ? undefined : sampleOffsets(group)),
    });
    if (desired !== undefined && desired !== current) {
      scaleTo(group, desired);
      run.writes.push({ at: t, from: current, to: desired });
    }
    tick(group);
    run.lag.push(totalLag(group));
    run.timeLag.push(trueTimeLag(group));
    run.replicas.push(replicas(group));
    run.consuming.push(consumingMembers(group));
  }
  return run;
}

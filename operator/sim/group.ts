/**
 * A consumer group in 1 s ticks, with the physics that make autoscaling Kafka consumers hard:
 * - a new pod consumes only after `podStartSeconds`;
 * - every change of the group's membership stops every member for `rebalancePauseSeconds` (kafkajs eager
 *   rebalancing is stop-the-world);
 * - partitions are assigned round-robin (kafkajs' default assigner: partition p goes to member p mod m), so a
 *   member beyond the partition count gets nothing, and a hot partition is drained by its one owner only,
 *   at the rate that owner has left after its other partitions.
 *
 * @module
 */

import type { LagSample } from "../core/types.ts";
import type { Trace } from "./trace.ts";

/** The physical constants of the simulated workers. */
export interface GroupPhysics {
  /** Events/s one member processes (the truth the operator has to learn or assume). */
  readonly serviceRate: number;
  readonly podStartSeconds: number;
  readonly rebalancePauseSeconds: number;
}

export const DEFAULT_PHYSICS: GroupPhysics = {
  serviceRate: 100,
  podStartSeconds: 15,
  rebalancePauseSeconds: 5,
};

/** The simulated group's mutable state; only this module changes it. */
export interface Group {
  readonly trace: Trace;
  readonly physics: GroupPhysics;
  /** Seconds simulated so far (the next tick runs from `now` to `now + 1`). */
  now: number;
  /** Per partition: next offset to be written (integer), and how far the group consumed (fractional). */
  readonly logEnd: number[];
  readonly consumed: number[];
  /** Per partition, the log end at each whole second: the production time of every offset. */
  readonly logEndAt: number[][];
  /** Fractional arrivals carried to the next tick, per partition. */
  readonly carry: number[];
  /** Ready time of every pod of the Deployment, oldest first. */
  readonly pods: number[];
  members: number;
  pausedUntil: number;
}

/** A group at t = 0 with the trace's preload and `trace.initialReplicas` pods already consuming. */
export function createGroup(trace: Trace, physics: GroupPhysics = DEFAULT_PHYSICS): Group {
  const preload = trace.preload.map((n) => Math.round(n));
  return {
    trace,
    physics,
    now: 0,
    logEnd: [...preload],
    consumed: preload.map(() => 0),
    logEndAt: preload.map((n) => [n]),
    carry: preload.map(() => 0),
    pods: Array.from({ length: trace.initialReplicas }, () => 0),
    members: trace.initialReplicas,
    pausedUntil: 0,
  };
}

/** The Deployment's replica count (pods, started or not). */
export function replicas(group: Group): number {
  return group.pods.length;
}

/** Set the Deployment's replicas: new pods start now; removed pods are the not-ready ones first, then the newest. */
export function scaleTo(group: Group, desired: number): void {
  while (group.pods.length < desired) group.pods.push(group.now + group.physics.podStartSeconds);
  if (group.pods.length > desired) group.pods.splice(desired);
}

/** Members currently consuming: ready pods, beyond the partitions none, and none during a rebalance. */
export function consumingMembers(group: Group): number {
  if (group.now < group.pausedUntil) return 0;
  return Math.min(group.members, group.trace.partitions);
}

/** The offsets a lag reader would see now. */
export function sampleOffsets(group: Group): LagSample {
  return {
    at: group.now * 1000,
    partitions: group.logEnd.map((end, partition) => ({
      topic: "events",
      partition,
      logEndOffset: BigInt(end),
      committedOffset: BigInt(Math.floor(group.consumed[partition])),
    })),
  };
}

/** Total lag now (events). */
export function totalLag(group: Group): number {
  let sum = 0;
  for (let p = 0; p < group.logEnd.length; p++) sum += group.logEnd[p] - Math.floor(group.consumed[p]);
  return sum;
}

/** True age (s) of the oldest unconsumed event over all partitions, from the exact production times. */
export function trueTimeLag(group: Group): number {
  let oldest = 0;
  for (let p = 0; p < group.logEnd.length; p++) {
    const position = Math.floor(group.consumed[p]);
    if (position >= group.logEnd[p]) continue;
    const history = group.logEndAt[p];
    // First second at which the log end passed `position`: binary search over a non-decreasing series.
    let lo = 0;
    let hi = history.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (history[mid] > position) hi = mid;
      else lo = mid + 1;
    }
    oldest = Math.max(oldest, group.now - lo);
  }
  return oldest;
}

/** Drain `budget` events from `partitions` fairly: equal shares, with what one cannot use going to the others. */
function waterFill(group: Group, partitions: number[], budget: number): void {
  let open = partitions.filter((p) => group.logEnd[p] - group.consumed[p] > 0);
  let left = budget;
  while (left > 1e-9 && open.length > 0) {
    const share = left / open.length;
    const still: number[] = [];
    for (const p of open) {
      const take = Math.min(share, group.logEnd[p] - group.consumed[p]);
      group.consumed[p] += take;
      left -= take;
      if (group.logEnd[p] - group.consumed[p] > 1e-9) still.push(p);
    }
    open = still;
  }
}

/** Run one second: membership changes (and their rebalance), arrivals, then consumption. */
export function tick(group: Group): void {
  const { trace, physics } = group;
  const t = group.now;
  const ready = group.pods.filter((readyAt) => readyAt <= t).length;
  if (ready !== group.members) {
    group.members = ready;
    group.pausedUntil = t + physics.rebalancePauseSeconds;
  }
  const rate = Math.max(0, trace.arrival(t));
  for (let p = 0; p < trace.partitions; p++) {
    const exact = rate * trace.weights[p] + group.carry[p];
    const whole = Math.floor(exact);
    group.carry[p] = exact - whole;
    group.logEnd[p] += whole;
  }
  if (t >= group.pausedUntil && group.members > 0) {
    const members = Math.min(group.members, trace.partitions);
    for (let m = 0; m < members; m++) {
      const owned: number[] = [];
      for (let p = m; p < trace.partitions; p += group.members) owned.push(p);
      waterFill(group, owned, physics.serviceRate);
    }
  }
  group.now = t + 1;
  for (let p = 0; p < trace.partitions; p++) group.logEndAt[p].push(group.logEnd[p]);
}

/**
 * The operator's decision: how many replicas the consumer group should have now. Pure: the same input gives
 * the same decision, so the runtime, the simulator and the tests all run this very function.
 *
 * Every change of the replica count is a stop-the-world rebalance with kafkajs, so the function is shaped to
 * write rarely and right: a scale-up goes to the full need in one write, writes
 * are at least `minHoldSeconds` apart, a scale-down goes only as low as the highest recommendation of the
 * stabilisation window (unless the arrivals fall steadily across it, core/trend.ts; while they rise steadily
 * there is none), and nothing is ever written when lag could not be read (fail-static).
 *
 * @module
 */

import { type Need, replicaNeed, sustainMembers } from "./needs.ts";
import { resolveSettings, type Settings } from "./settings.ts";
import { type ArrivalPoint, steadyTrend, type Trend } from "./trend.ts";
import type { Decision, DecisionInput, DecisionState, LagObservation, LimitReason } from "./types.ts";

/** The bounds a count is clamped to: [floor, min(maxReplicas, partitions)]. */
interface Bounds {
  readonly floor: number;
  readonly ceiling: number;
  readonly ceilingReason: LimitReason;
}

function bounds(need: Need, settings: Settings, observation: LagObservation): Bounds {
  const floor = settings.scaleToZero && need.idle ? 0 : settings.minReplicas;
  // Without any partition (topics not created yet) the partition bound means nothing; keep the floor.
  const partitions = observation.partitionCount > 0 ? observation.partitionCount : floor;
  const ceiling = Math.max(floor, Math.min(settings.maxReplicas, partitions));
  return { floor, ceiling, ceilingReason: settings.maxReplicas <= partitions ? "maxReplicas" : "partitions" };
}

function clamp(value: number, b: Bounds): { readonly replicas: number; readonly limit: LimitReason } {
  if (value > b.ceiling) return { replicas: b.ceiling, limit: b.ceilingReason };
  if (value < b.floor) return { replicas: b.floor, limit: "minReplicas" };
  return { replicas: value, limit: "none" };
}

function explain(need: Need, observation: LagObservation, rate: number): string {
  const parts = [
    `need ${need.replicas} at ${round(rate)} ev/s per replica`,
    `arrivals ${round(observation.arrivalRate)} ev/s`,
  ];
  if (need.backlog > 0) {
    parts.push(
      `backlog ${round(need.backlog)} (${
        round(need.anticipated)
      } expected once new replicas consume, drained in ${round(need.horizon)} s)`,
    );
  }
  if (need.hotPartitionBound) {
    parts.push(
      `hottest partition (lag ${observation.maxPartitionLag}) cannot drain in time even with an owner ` +
        `of its own: round-robin needs ${need.byPartitions} members to give it one`,
    );
  } else if (need.byPartitions > need.throughput) {
    parts.push(`round-robin: ${need.byPartitions} members so the busiest one keeps up`);
  }
  if (need.byTimeLag > 0) parts.push(`time lag ${round(observation.timeLagSeconds)} s`);
  if (need.stalledLag > 0) {
    const names = observation.stalled.map((s) => `${s.topic}/${s.partition}`).join(", ");
    parts.push(`stalled ${names} (lag ${need.stalledLag}) left out: more replicas will not move them`);
  }
  return parts.join("; ");
}

function arrivalPoints(recommendations: DecisionState["recommendations"]): ArrivalPoint[] {
  return recommendations.flatMap((r) => r.arrivals === undefined ? [] : [{ at: r.at, arrivals: r.arrivals }]);
}

function trendWhy(trend: Trend): string {
  return `arrivals ${trend.direction} steadily (${round(trend.slope)} ev/s per s, at most ${
    round(trend.bound)
  } ev/s now)`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A decision that changes nothing. */
function keep(
  state: DecisionState,
  needed: number,
  limitedBy: LimitReason,
  reason: string,
): Decision {
  return { desired: state.currentReplicas, needed, limitedBy, reason, state };
}

/** A decision that writes `desired`: the hold starts now. */
function write(
  state: DecisionState,
  now: number,
  desired: number,
  needed: number,
  limitedBy: LimitReason,
  reason: string,
): Decision {
  return {
    desired,
    needed,
    limitedBy,
    reason: `${reason}; scaling ${state.currentReplicas} → ${desired}`,
    state: { ...state, currentReplicas: desired, lastScaleAt: now },
  };
}

/**
 * Replicas to have now. Call once per poll with the newest observation (undefined when lag could not be read)
 * and the state returned last time (its `currentReplicas` refreshed from the Deployment's scale, and its rate
 * passed through updatePerReplicaRate()); write `desired` when it differs from `state.currentReplicas`, then
 * persist `decision.state`.
 */
export function decide(input: DecisionInput): Decision {
  const { now, spec, observation, state } = input;
  const current = state.currentReplicas;
  if (observation === undefined) {
    return keep(state, current, "none", `lag could not be read: keeping ${current} replicas (fail-static)`);
  }
  const settings = resolveSettings(spec);
  const rate = state.perReplicaRate ?? settings.perReplicaRate;
  const need = replicaNeed(observation, settings, rate, current);
  const b = bounds(need, settings, observation);
  const { replicas: target, limit } = clamp(need.replicas, b);
  const ceiling = b.ceiling;
  const windowMs = settings.scaleDownStabilizationSeconds * 1000;
  const drain = settings.targetDrainSeconds;
  // The window remembers what the ARRIVALS needed: a drained backlog is gone for good and need not be waited
  // out, while an arrival peak may come back, which is what stabilisation guards against.
  const recommendations = [
    ...state.recommendations.filter((r) => r.at > now - windowMs && r.at < now),
    { at: now, replicas: clamp(need.sustain, b).replicas, arrivals: Math.max(0, observation.arrivalRate) },
  ];
  const next: DecisionState = { ...state, recommendations };
  const why = explain(need, observation, rate);
  const held = state.lastScaleAt !== undefined && now - state.lastScaleAt < settings.minHoldSeconds * 1000;

  if (current === 0) {
    if (settings.scaleToZero && observation.totalLag < settings.activationLag) {
      return keep(next, need.replicas, "none", `idle at zero: lag ${observation.totalLag} < activation lag`);
    }
    // Nothing runs, so nothing rebalances: wake up at once, without hold or confirmation.
    return write(next, now, Math.max(1, target), need.replicas, limit, `activated: ${why}`);
  }
  if (current > ceiling) {
    // Replicas beyond the partitions (or maxReplicas) consume nothing; no hold keeps them.
    const stabilized = Math.min(ceiling, Math.max(target, ...recommendations.map((r) => r.replicas)));
    return write(next, now, stabilized, need.replicas, limit, `above the useful maximum ${ceiling}: ${why}`);
  }
  if (target > current && need.shortOfCapacity) {
    if (held) return keep(next, need.replicas, "hold", `${why}; holding ${current} since the last write`);
    return write(next, now, target, need.replicas, limit, why);
  }
  if (target < current) {
    if (need.draining) {
      return keep(next, need.replicas, "stabilization", `${why}; no scale-down until the backlog is drained`);
    }
    const windowed = Math.max(target, ...recommendations.map((r) => r.replicas));
    const trend = steadyTrend(arrivalPoints(recommendations), now, windowMs);
    if (trend?.direction === "rising") {
      // Whatever lower count the window allows, the rising arrivals would soon ask to undo it.
      return keep(next, need.replicas, "stabilization", `${why}; ${trendWhy(trend)}: no scale-down`);
    }
    // A steady descent's peak is behind it: what the arrivals may still reach now is what must be covered,
    // not the highest need of the whole window.
    const early = trend === undefined ? windowed : Math.min(
      windowed,
      Math.max(
        target,
        clamp(sustainMembers(trend.bound, observation.partitionCount, rate, drain), b).replicas,
      ),
    );
    const shortened = trend === undefined || early === windowed
      ? ""
      : `; ${trendWhy(trend)}: not waiting out the window`;
    if (early >= current) {
      return keep(next, need.replicas, "stabilization", `${why}; ${windowed} recommended within the window`);
    }
    if (held) {
      return keep(next, need.replicas, "hold", `${why}${shortened}; holding ${current} since the last write`);
    }
    return write(
      next,
      now,
      early,
      need.replicas,
      early > target ? "stabilization" : limit,
      `${why}${shortened}`,
    );
  }
  if (target > current) {
    return keep(next, need.replicas, "none", `${why}; the current replicas drain it within the target`);
  }
  return keep(next, need.replicas, limit, why);
}

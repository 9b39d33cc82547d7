/**
 * How many replicas the lag asks for, before bounds, hold and stabilisation (decide.ts applies those).
 *
 * The core is a rate balance: replicas·rate must carry the arrivals plus drain the backlog within the drain
 * target, `ceil((arrivals + backlog / drainSeconds) / rate)`. Two facts of Kafka consumer groups refine it:
 * - a partition is consumed by one member, and kafkajs assigns partitions round-robin (partition p to member
 *   p mod m), so with m members the busiest member owns ceil(P/m) partitions; the count must make THAT member
 *   fit, which is why useful counts cluster on P/1, P/2, P/3… (12 replicas on 24 partitions, not 11);
 * - a backlog sitting in few partitions is drained by their owners only, so extra replicas help it only by
 *   taking the owners' other partitions away. With no arrivals a one-partition backlog needs one replica, not
 *   the `backlog / lagPerReplica` KEDA would start.
 * Arrivals are assumed to spread evenly over partitions (the observation has no per-partition rates).
 *
 * @module
 */

import { ceilRatio } from "./ceil.ts";
import type { Settings } from "./settings.ts";
import type { LagObservation } from "./types.ts";

/**
 * Every write costs one stop-the-world rebalance, during which all arrivals pile up. Sizing leaves room to
 * drain this many seconds of arrivals, so the backlog a write creates never calls for the next write.
 */
export const REBALANCE_ALLOWANCE_SECONDS = 10;

/** The lag-driven replica count and what it is made of. */
export interface Need {
  /** max of the needs below; 0 when idle. The count a scale-up writes. */
  readonly replicas: number;
  /** What the arrivals alone need (with the rebalance allowance): the floor scale-down stabilises on. */
  readonly sustain: number;
  /** The rate balance over the whole group, with the anticipated backlog. */
  readonly throughput: number;
  /** The round-robin need: the busiest member, and the owner of the hottest partition, must fit. */
  readonly byPartitions: number;
  /** ceil(backlog / lagPerReplica), capped by `useful`; 0 when not configured. */
  readonly byLagPerReplica: number;
  /** ceil(max(arrivals, backlog / maxLagSeconds) / rate), capped by `useful`; 0 when not configured. */
  readonly byTimeLag: number;
  /** Members that can hold a lagging partition or carry arrivals: lagging partitions + ceil(arrivals/rate). */
  readonly useful: number;
  /**
   * Whether the current replicas fall short: they cannot carry the arrivals and drain the backlog within the
   * full drain target. Looser than `replicas` (which plans from the decision, minus the start-up hold) on
   * purpose: a backlog the current replicas will drain in time is not answered with another rebalance.
   */
  readonly shortOfCapacity: boolean;
  /** Lag more replicas can move, and lag of stalled partitions they cannot. */
  readonly backlog: number;
  readonly stalledLag: number;
  /** The backlog expected by the time new replicas consume (the write's own rebalance is in `sustain`). */
  readonly anticipated: number;
  /** Seconds the anticipated backlog is planned to drain in, once new replicas consume. */
  readonly horizon: number;
  /** One consumer cannot drain the hottest partition within the target; it gets an owner of its own. */
  readonly hotPartitionBound: boolean;
  /**
   * A backlog beyond one rebalance's worth of arrivals remains. The drain plan is re-made every poll ("drain
   * in `horizon` s from now"), so its need shrinks as the backlog does; scaling down on it would pay a
   * rebalance mid-drain and stretch the drain, so decide() scales down only once it is over.
   */
  readonly draining: boolean;
  /** No lag and no arrivals: a candidate for scale-to-zero. */
  readonly idle: boolean;
}

/**
 * The fewest members (≤ partitions) for which the busiest round-robin member fits in `rate`: it owns
 * ceil(P/m) partitions carrying `perPartition` events/s each, and one of them also needs `extra` events/s.
 */
export function roundRobinMembers(
  partitions: number,
  perPartition: number,
  extra: number,
  rate: number,
): number {
  if (partitions <= 0) return 0;
  if (!(perPartition > 0)) return extra > 0 ? 1 : 0;
  const fits = Math.floor((rate - extra) / perPartition + 1e-9);
  if (fits < 1) return partitions;
  return Math.min(partitions, ceilRatio(partitions, Math.min(fits, partitions)));
}

/**
 * What `arrivals` events/s alone need, with the rebalance allowance: the rate balance and the round-robin
 * member need, for arrivals spread evenly over `partitions`. Scale-down stabilises on this.
 */
export function sustainMembers(
  arrivals: number,
  partitions: number,
  rate: number,
  drainSeconds: number,
): number {
  const carried = Math.max(0, arrivals);
  const sustainRate = carried + (carried * REBALANCE_ALLOWANCE_SECONDS) / drainSeconds;
  const share = partitions > 0 ? 1 / partitions : 0;
  return Math.max(ceilRatio(sustainRate, rate), roundRobinMembers(partitions, sustainRate * share, 0, rate));
}

/**
 * The need for `observation` at `rate` events/s per replica. Stalled partitions count only while the group
 * has replicas: with none, nothing consumes, so nothing can be stuck.
 */
export function replicaNeed(
  observation: LagObservation,
  settings: Settings,
  rate: number,
  currentReplicas: number,
): Need {
  const partitions = observation.partitionCount;
  const stalled = currentReplicas > 0 ? observation.stalled : [];
  const stalledLag = stalled.reduce((sum, s) => sum + s.lag, 0);
  const backlog = Math.max(0, observation.totalLag - stalledLag);
  const lagging = Math.max(0, observation.partitionsWithLag - stalled.length);
  const arrivals = Math.max(0, observation.arrivalRate);
  // New replicas consume only after a pod start and a rebalance, about one hold; until then the backlog grows
  // by what the current replicas cannot carry (their capacity, not the processing rate, which a rebalance
  // pause zeroes), and the write itself stops everyone for a rebalance.
  const capacity = Math.min(currentReplicas, partitions) * rate;
  const shortfall = Math.max(0, arrivals - capacity);
  const allowance = arrivals * REBALANCE_ALLOWANCE_SECONDS;
  const growth = backlog > 0 ? shortfall * settings.minHoldSeconds : 0;
  const anticipated = backlog + growth;
  // The drain target counts from this decision, so the plan leaves out the hold the replicas need to start.
  const drain = settings.targetDrainSeconds;
  const horizon = Math.max(drain - settings.minHoldSeconds, drain / 2);

  // Steady state: arrivals plus draining one rebalance's worth of them within the target.
  const sustainRate = arrivals + allowance / drain;
  // Only members that own a lagging partition can drain it.
  const drainRate = Math.min(anticipated / horizon, lagging * rate);
  const throughput = ceilRatio(sustainRate + drainRate, rate);

  // Round-robin: arrivals (with the allowance and the growth) spread evenly; the hottest partition's owner also
  // drains it, as fast as the target asks, or as fast as a dedicated owner can.
  const share = partitions > 0 ? 1 / partitions : 0;
  const hottest = Math.min(observation.maxPartitionLag, backlog);
  // The rest of the backlog is the throughput need's business: where it sits is unknown, so spreading it over
  // every partition would let a two-partition backlog ask for members that only own idle partitions.
  const perPartition = (sustainRate + growth / horizon) * share;
  const wanted = hottest / horizon;
  const dedicated = Math.max(0, rate - perPartition);
  const hotPartitionBound = wanted > dedicated && lagging < partitions;
  const byPartitions = roundRobinMembers(partitions, perPartition, Math.min(wanted, dedicated), rate);
  const sustain = sustainMembers(arrivals, partitions, rate, drain);

  const useful = lagging + ceilRatio(arrivals, rate);
  const byLagPerReplica = settings.lagPerReplica === undefined
    ? 0
    : Math.min(useful, ceilRatio(backlog, settings.lagPerReplica));
  const byTimeLag = settings.maxLagSeconds === undefined
    ? 0
    : Math.min(useful, ceilRatio(Math.max(arrivals, backlog / settings.maxLagSeconds), rate));
  const replicas = Math.max(throughput, byPartitions, byLagPerReplica, byTimeLag);

  const inTarget = Math.min(backlog / drain, lagging * rate);
  const shortOfCapacity = replicas > currentReplicas &&
    (capacity < arrivals + inTarget || byLagPerReplica > currentReplicas || byTimeLag > currentReplicas ||
      roundRobinMembers(partitions, arrivals * share, hottest / drain, rate) >
        currentReplicas);
  return {
    replicas,
    sustain,
    throughput,
    byPartitions,
    byLagPerReplica,
    byTimeLag,
    useful,
    shortOfCapacity,
    backlog,
    stalledLag,
    anticipated,
    horizon,
    hotPartitionBound,
    draining: backlog > Math.max(allowance, partitions),
    idle: observation.totalLag === 0 && arrivals === 0,
  };
}

/**
 * How many events/s one replica really processes, learnt from the committed offsets' slope. The prior from the
 * spec is replaced only by evidence: a window where every replica had work measures capacity; a window where
 * replicas idled only proves that capacity is at least what they did.
 *
 * @module
 */

import type { DecisionState, LagObservation } from "./types.ts";

/** EWMA weight of a new measurement: a few polls to converge, one odd window cannot swing it. */
export const RATE_SMOOTHING_ALPHA = 0.3;
/** After a scale write the window contains a rebalance pause and cold pods; measure only this long after. */
export const DEFAULT_SETTLE_SECONDS = 30;
/** Replicas count as busy when the backlog is at least this many seconds of their processing. */
const SATURATION_SECONDS = 5;

/** Events/s per consuming replica in one observation; `saturated` when it measures capacity, not a floor. */
export interface RateSample {
  readonly rate: number;
  readonly saturated: boolean;
}

function busy(observation: LagObservation): boolean {
  return observation.stalled.length === 0 &&
    observation.partitionsWithLag >= observation.partitionCount &&
    observation.totalLag >= observation.processingRate * SATURATION_SECONDS;
}

/**
 * The per-replica processing rate seen in `observation`, or undefined when nobody processed anything. Replicas
 * beyond the partition count consume nothing, so the rate is divided by min(replicas, partitions). The group is
 * saturated only when every partition has lag (round-robin gives every consuming replica a lagging partition),
 * none is stalled (a stuck owner would drag the average down) and the backlog outlasts the window's noise, at
 * both ends of the rate window (`previous` is the observation of the poll before): a window in which the
 * group only became busy halfway measures half-idle replicas.
 */
export function perReplicaRateSample(
  observation: LagObservation,
  currentReplicas: number,
  previous?: LagObservation,
): RateSample | undefined {
  const consuming = Math.min(currentReplicas, observation.partitionCount);
  if (consuming <= 0 || !(observation.processingRate > 0)) return undefined;
  const saturated = previous !== undefined && busy(previous) && busy(observation);
  return { rate: observation.processingRate / consuming, saturated };
}

/**
 * The next smoothed rate: an EWMA towards a saturated sample; towards an unsaturated sample only when it is
 * higher than the current belief (`previous`, else `prior`), since idle replicas prove a floor, not a ceiling.
 * Returns `previous` (possibly undefined, meaning "still the prior") when the sample says nothing new.
 */
export function smoothPerReplicaRate(
  previous: number | undefined,
  sample: RateSample | undefined,
  prior: number,
  alpha = RATE_SMOOTHING_ALPHA,
): number | undefined {
  if (sample === undefined) return previous;
  const belief = previous ?? prior;
  if (!sample.saturated && sample.rate <= belief) return previous;
  return belief + alpha * (sample.rate - belief);
}

/**
 * `state` with its per-replica rate updated from `observation` (and `previous`, the observation one poll
 * earlier, if there was one). The runtime (and the simulator) call this once per poll, BEFORE decide(), and
 * pass the result to decide(); decide() itself never changes the rate. Nothing is learnt without an
 * observation, or within `settleSeconds` of the last scale write (pods starting, a rebalance pause).
 */
export function updatePerReplicaRate(
  state: DecisionState,
  observation: LagObservation | undefined,
  previous: LagObservation | undefined,
  now: number,
  prior: number,
  settleSeconds = DEFAULT_SETTLE_SECONDS,
): DecisionState {
  if (observation === undefined) return state;
  if (state.lastScaleAt !== undefined && now - state.lastScaleAt < settleSeconds * 1000) return state;
  const next = smoothPerReplicaRate(
    state.perReplicaRate,
    perReplicaRateSample(observation, state.currentReplicas, previous),
    prior,
  );
  return next === state.perReplicaRate ? state : { ...state, perReplicaRate: next };
}

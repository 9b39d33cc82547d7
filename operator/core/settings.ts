/**
 * The spec with every default filled in, in one place, so decide(), the simulator and the docs agree.
 *
 * @module
 */

import type { ConsumerAutoscalerSpec } from "./types.ts";

export const DEFAULT_TARGET_DRAIN_SECONDS = 60;
/** The prior: events/s one replica of a modest sink handles, used until the group has been measured busy. */
export const DEFAULT_PER_REPLICA_RATE = 100;
export const DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS = 120;
/** kafkajs rebalances are stop-the-world, so writes are spaced at least this far apart. */
export const DEFAULT_MIN_HOLD_SECONDS = 30;
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;
export const DEFAULT_ACTIVATION_LAG = 1;

/** A ConsumerAutoscalerSpec's scaling knobs, defaults applied. */
export interface Settings {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly lagPerReplica?: number;
  readonly maxLagSeconds?: number;
  readonly targetDrainSeconds: number;
  readonly perReplicaRate: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly minHoldSeconds: number;
  readonly pollIntervalSeconds: number;
  readonly scaleToZero: boolean;
  readonly activationLag: number;
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/**
 * Defaults applied. Without scale-to-zero the floor is at least 1 even if minReplicas is 0: a group with no
 * consumer only wakes up through activation, which is what scaleToZero turns on.
 */
export function resolveSettings(spec: ConsumerAutoscalerSpec): Settings {
  const scaleToZero = spec.scaleToZero?.enabled === true;
  const minReplicas = Math.max(scaleToZero ? 0 : 1, Math.floor(spec.minReplicas));
  return {
    minReplicas,
    maxReplicas: Math.max(minReplicas, Math.floor(spec.maxReplicas)),
    lagPerReplica: spec.lagPerReplica !== undefined && spec.lagPerReplica > 0
      ? spec.lagPerReplica
      : undefined,
    maxLagSeconds: spec.maxLagSeconds !== undefined && spec.maxLagSeconds > 0
      ? spec.maxLagSeconds
      : undefined,
    targetDrainSeconds: positive(spec.targetDrainSeconds, DEFAULT_TARGET_DRAIN_SECONDS),
    perReplicaRate: positive(spec.perReplicaRate, DEFAULT_PER_REPLICA_RATE),
    scaleDownStabilizationSeconds: spec.scaleDownStabilizationSeconds !== undefined &&
        spec.scaleDownStabilizationSeconds >= 0
      ? spec.scaleDownStabilizationSeconds
      : DEFAULT_SCALE_DOWN_STABILIZATION_SECONDS,
    minHoldSeconds: spec.minHoldSeconds !== undefined && spec.minHoldSeconds >= 0
      ? spec.minHoldSeconds
      : DEFAULT_MIN_HOLD_SECONDS,
    pollIntervalSeconds: positive(spec.pollIntervalSeconds, DEFAULT_POLL_INTERVAL_SECONDS),
    scaleToZero,
    activationLag: positive(spec.scaleToZero?.activationLag, DEFAULT_ACTIVATION_LAG),
  };
}

/**
 * The autoscaler's `.status`: conditions in the Kubernetes convention (a transition time that only moves
 * when the status flips), what was observed, the decision, and the DecisionState that lets a restarted
 * operator carry on without a spurious scale write. Pure.
 *
 * @module
 */
import type { Decision, DecisionState, LagObservation } from "../core/types.ts";

/** Condition types the operator sets. */
export type ConditionType = "Ready" | "Active" | "ScalingLimited" | "KafkaUnavailable";

/** One status condition. */
export interface Condition {
  readonly type: ConditionType;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/** What was seen in Kafka, for `kubectl get` and dashboards. */
export interface ObservedStatus {
  readonly partitionCount: number;
  readonly totalLag: number;
  readonly maxPartitionLag: number;
  readonly partitionsWithLag: number;
  readonly arrivalRate: number;
  readonly processingRate: number;
  readonly timeLagSeconds: number;
  readonly stalledPartitions: number;
  readonly perReplicaRate?: number;
}

/** `.status` of a ConsumerAutoscaler. */
export interface AutoscalerStatus {
  readonly observedGeneration?: number;
  readonly conditions?: readonly Condition[];
  readonly currentReplicas?: number;
  readonly desiredReplicas?: number;
  readonly neededReplicas?: number;
  readonly limitedBy?: string;
  readonly lastScaleTime?: string;
  readonly lastSampleTime?: string;
  readonly observed?: ObservedStatus;
  readonly decisionState?: DecisionState;
}

/** A wanted condition; the transition time is filled in by {@link setConditions}. */
export type ConditionUpdate = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/** Merges `updates` into `previous`, keeping lastTransitionTime when a condition's status is unchanged. */
export function setConditions(
  previous: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  now: number,
  generation: number,
): Condition[] {
  const byType = new Map((previous ?? []).map((c) => [c.type, c]));
  for (const u of updates) {
    const old = byType.get(u.type);
    const lastTransitionTime = old && old.status === u.status ? old.lastTransitionTime : rfc3339(now);
    byType.set(u.type, { ...u, lastTransitionTime, observedGeneration: generation });
  }
  const order: readonly ConditionType[] = ["Ready", "Active", "ScalingLimited", "KafkaUnavailable"];
  return order.flatMap((t) => byType.get(t) ?? []);
}

/** The condition of `type`, if set. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** RFC 3339 in whole seconds, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The observed block of the status. */
export function observedStatus(obs: LagObservation, perReplicaRate: number | undefined): ObservedStatus {
  return {
    partitionCount: obs.partitionCount,
    totalLag: Math.round(obs.totalLag),
    maxPartitionLag: Math.round(obs.maxPartitionLag),
    partitionsWithLag: obs.partitionsWithLag,
    arrivalRate: round2(obs.arrivalRate),
    processingRate: round2(obs.processingRate),
    timeLagSeconds: round2(obs.timeLagSeconds),
    stalledPartitions: obs.stalled.length,
    ...(perReplicaRate === undefined ? {} : { perReplicaRate: round2(perReplicaRate) }),
  };
}

function round2(n: number): number {
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : 0;
}

const LIMITING: ReadonlySet<string> = new Set(["maxReplicas", "partitions", "minReplicas"]);

/** Conditions after a decision was taken on a good observation (or fail-static without one). */
export function decisionConditions(
  decision: Decision,
  observation: LagObservation | undefined,
  lagError: string | undefined,
): ConditionUpdate[] {
  const limited = LIMITING.has(decision.limitedBy);
  const out: ConditionUpdate[] = [
    {
      type: "ScalingLimited",
      status: limited ? "True" : "False",
      reason: limited ? capitalize(decision.limitedBy) : "NotLimited",
      message: decision.reason,
    },
  ];
  if (lagError !== undefined) {
    out.push(
      {
        type: "Ready",
        status: "False",
        reason: "KafkaUnavailable",
        message: `lag cannot be read; replicas are kept unchanged: ${lagError}`,
      },
      { type: "KafkaUnavailable", status: "True", reason: "LagReadFailed", message: lagError },
    );
    return out;
  }
  const lag = observation?.totalLag ?? 0;
  out.push(
    { type: "Ready", status: "True", reason: "Reconciled", message: decision.reason },
    {
      type: "Active",
      status: lag > 0 ? "True" : "False",
      reason: lag > 0 ? "LagPresent" : "NoLag",
      message: `total lag ${Math.round(lag)} over ${observation?.partitionsWithLag ?? 0} partitions`,
    },
    { type: "KafkaUnavailable", status: "False", reason: "LagRead", message: "lag was read" },
  );
  return out;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Whether `value` looks like a DecisionState the operator wrote (the status is user-writable). */
export function isDecisionState(value: unknown): value is DecisionState {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return Number.isInteger(v.currentReplicas) &&
    Array.isArray(v.recommendations) &&
    v.recommendations.every((r) =>
      typeof r === "object" && r !== null && typeof (r as Record<string, unknown>).at === "number" &&
      Number.isInteger((r as Record<string, unknown>).replicas) &&
      ((r as Record<string, unknown>).arrivals === undefined ||
        typeof (r as Record<string, unknown>).arrivals === "number")
    ) &&
    (v.lastScaleAt === undefined || typeof v.lastScaleAt === "number") &&
    (v.perReplicaRate === undefined || (typeof v.perReplicaRate === "number" && v.perReplicaRate > 0));
}

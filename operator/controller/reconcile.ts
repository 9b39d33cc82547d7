/**
 * One level-triggered reconcile of one ConsumerAutoscaler: re-read the CR and the Deployment's scale,
 * sample lag, let the pure core decide, write the scale subresource at most once (to the full count) and
 * record the outcome in `.status`. Nothing is remembered between calls except the lag history: the
 * DecisionState lives in the CR's status, so a restarted or newly elected operator decides exactly as the
 * previous one would have. Only ports do I/O, so this runs against fakes in unit tests.
 *
 * @module
 */
import type { Logger } from "@kafka-edge/lib";
import type { DecisionState, LagObservation } from "../core/types.ts";
import { resolveSettings } from "../core/settings.ts";
import { parseAutoscaler } from "../crd.ts";
import type { SampleHistory } from "./history.ts";
import type { AutoscalerObject, CorePort, KubePort, LagPort, LagReading, ReconcileHooks } from "./ports.ts";
import {
  type AutoscalerStatus,
  type ConditionUpdate,
  decisionConditions,
  findCondition,
  isDecisionState,
  observedStatus,
  rfc3339,
  setConditions,
} from "./status.ts";

/** Everything a reconcile touches. */
export interface ReconcileDeps {
  readonly kube: KubePort;
  readonly lag: LagPort;
  readonly core: CorePort;
  readonly history: SampleHistory;
  readonly now: () => number;
  readonly log: Logger;
  /** Checked right before every write, so a replica that just lost the lease does not write. */
  readonly isLeader: () => boolean;
  readonly hooks?: ReconcileHooks;
}

/** What happened, for logs, metrics and tests. */
export type ReconcileOutcome =
  | "gone"
  | "invalid"
  | "targetNotFound"
  | "steady"
  | "scaled"
  | "kafkaUnavailable"
  | "warmingUp"
  | "notLeader";

/** Result of {@link reconcile}; `requeueAfterMs` is the next poll (lag changes make no API events). */
export interface ReconcileResult {
  readonly outcome: ReconcileOutcome;
  readonly requeueAfterMs?: number;
  readonly from?: number;
  readonly to?: number;
}

/** `namespace/name` → its parts. */
export function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** Reconciles the autoscaler `key` (`namespace/name`). Throws on API errors; the caller retries. */
export async function reconcile(key: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { kube, lag, core, history, log } = deps;
  const [namespace, name] = splitKey(key);
  const cr = await kube.getAutoscaler(namespace, name);
  if (!cr) {
    history.delete(key);
    await lag.release(key);
    return { outcome: "gone" };
  }
  const parsed = parseAutoscaler(cr.spec);
  if (!parsed.ok) {
    history.delete(key);
    await lag.release(key);
    const message = parsed.problems.join("; ");
    await reportNotReady(cr, "InvalidSpec", message, deps);
    // Only a spec change can fix it, and that arrives as a watch event.
    return { outcome: "invalid" };
  }
  const spec = parsed.spec;
  const pollMs = resolveSettings(spec).pollIntervalSeconds * 1000;
  const target = spec.scaleTargetRef.name;
  const scale = await kube.getScale(namespace, target);
  if (!scale) {
    await reportNotReady(cr, "TargetNotFound", `Deployment ${namespace}/${target} does not exist`, deps);
    // Deployments are not watched; look again at the poll period.
    return { outcome: "targetNotFound", requeueAfterMs: pollMs };
  }

  let reading: LagReading | undefined;
  let lagError: string | undefined;
  try {
    reading = await lag.read(key, namespace, spec);
  } catch (err) {
    lagError = err instanceof Error ? err.message : String(err);
    // A fresh client next time: it reconnects and re-reads the credentials, which may have been rotated.
    await lag.release(key).catch(() => {});
    deps.hooks?.onLagError?.(key);
  }
  const sample = reading?.sample;
  const observation: LagObservation | undefined = reading
    ? core.observe(history.append(key, spec, reading.sample), reading.logStartOffsets)
    : undefined;
  if (reading && !observation) {
    // Rates need two samples: the first poll after a start (or a change of group/topics) only records one.
    // Deciding now would look like fail-static in status; wait one poll instead, writing nothing.
    return { outcome: "warmingUp", requeueAfterMs: pollMs };
  }
  if (observation) log.debug("observed", { key, ...observation, stalled: observation.stalled.length });

  const now = deps.now();
  const previous = cr.status?.decisionState;
  const restored: DecisionState = isDecisionState(previous)
    ? { ...previous, currentReplicas: scale.replicas }
    : { currentReplicas: scale.replicas, recommendations: [] };
  const learnt = core.learnRate(restored, observation, history.previousObservation(key), now, spec);
  // A non-finite or non-positive rate would make every later decision throw (or divide by zero), forever:
  // forget it and let the core fall back to the spec's prior.
  const state = learnt.perReplicaRate === undefined ||
      (Number.isFinite(learnt.perReplicaRate) && learnt.perReplicaRate > 0)
    ? learnt
    : { ...learnt, perReplicaRate: undefined };
  if (observation) history.recordObservation(key, observation);
  const decision = core.decide({ now, spec, observation, state });
  deps.hooks?.onLag?.(key, observation, decision);

  // Fail-static twice over: the core keeps replicas without an observation, and we never write without one.
  const write = observation !== undefined && decision.desired !== scale.replicas;
  if (write) {
    if (!deps.isLeader()) return { outcome: "notLeader" };
    await kube.writeScale(namespace, target, decision.desired, scale.resourceVersion);
    deps.hooks?.onScaleWrite?.(key, scale.replicas, decision.desired);
    log.info("scaled", { key, target, from: scale.replicas, to: decision.desired, reason: decision.reason });
    await emit(
      deps,
      cr,
      "Normal",
      "Scaled",
      `Scaled Deployment ${target} from ${scale.replicas} to ${decision.desired}: ${decision.reason}`,
    );
  }

  const nextState: DecisionState = {
    ...decision.state,
    currentReplicas: write ? decision.desired : scale.replicas,
    lastScaleAt: write ? now : state.lastScaleAt,
  };
  const old = cr.status;
  const status: AutoscalerStatus = {
    observedGeneration: cr.generation,
    conditions: setConditions(
      old?.conditions,
      decisionConditions(decision, observation, lagError),
      now,
      cr.generation,
    ),
    currentReplicas: nextState.currentReplicas,
    desiredReplicas: decision.desired,
    neededReplicas: decision.needed,
    limitedBy: decision.limitedBy,
    ...(nextState.lastScaleAt === undefined ? {} : { lastScaleTime: rfc3339(nextState.lastScaleAt) }),
    ...(sample ? { lastSampleTime: rfc3339(sample.at) } : {}),
    ...(observation ? { observed: observedStatus(observation, nextState.perReplicaRate) } : {}),
    decisionState: nextState,
  };
  if (!deps.isLeader()) return { outcome: "notLeader" };
  await kube.patchStatus(namespace, name, status);

  const wasUnavailable = findCondition(old?.conditions, "KafkaUnavailable")?.status === "True";
  if (lagError !== undefined && !wasUnavailable) {
    log.warn("lag cannot be read; keeping replicas", { key, replicas: scale.replicas, err: lagError });
    await emit(
      deps,
      cr,
      "Warning",
      "KafkaUnavailable",
      `Lag cannot be read, replicas kept at ${scale.replicas}: ${lagError}`,
    );
  } else if (lagError === undefined && wasUnavailable) {
    log.info("lag readable again", { key });
    await emit(deps, cr, "Normal", "KafkaAvailable", "Lag can be read again");
  }
  const outcome = write ? "scaled" : lagError !== undefined ? "kafkaUnavailable" : "steady";
  return {
    outcome,
    requeueAfterMs: pollMs,
    ...(write ? { from: scale.replicas, to: decision.desired } : {}),
  };
}

/** Sets Ready=False with `reason`; emits a Warning only when that reason is new, so polls do not spam. */
async function reportNotReady(
  cr: AutoscalerObject,
  reason: string,
  message: string,
  deps: ReconcileDeps,
): Promise<void> {
  const before = findCondition(cr.status?.conditions, "Ready");
  const update: ConditionUpdate = { type: "Ready", status: "False", reason, message };
  if (!deps.isLeader()) return;
  await deps.kube.patchStatus(cr.namespace, cr.name, {
    observedGeneration: cr.generation,
    conditions: setConditions(cr.status?.conditions, [update], deps.now(), cr.generation),
  });
  if (before?.reason !== reason || before.message !== message) {
    deps.log.warn("autoscaler not ready", { key: `${cr.namespace}/${cr.name}`, reason, message });
    await emit(deps, cr, "Warning", reason, message);
  }
}

async function emit(
  deps: ReconcileDeps,
  cr: AutoscalerObject,
  type: "Normal" | "Warning",
  reason: string,
  message: string,
): Promise<void> {
  // An Event is a courtesy: failing to record one must not fail (and retry) a reconcile that already wrote.
  try {
    await deps.kube.emitEvent({ namespace: cr.namespace, name: cr.name, uid: cr.uid }, type, reason, message);
  } catch (err) {
    deps.log.warn("cannot record event", { reason, err });
  }
}

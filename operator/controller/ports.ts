/**
 * What the controller needs from the outside world, as interfaces: adapters/ implements them with
 * client-node and kafkajs, unit tests with plain objects. Nothing here does I/O.
 *
 * @module
 */
import type {
  ConsumerAutoscalerSpec,
  Decision,
  DecisionInput,
  DecisionState,
  LagObservation,
  LagSample,
} from "../core/types.ts";
import type { AutoscalerStatus } from "./status.ts";

/** A ConsumerAutoscaler as read from the API server; `spec` is unvalidated. */
export interface AutoscalerObject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly generation: number;
  readonly spec: unknown;
  readonly status?: AutoscalerStatus;
}

/** The target Deployment's `scale` subresource. */
export interface ScaleView {
  readonly replicas: number;
  /** Optimistic-concurrency token: the write fails with a conflict if someone scaled in between. */
  readonly resourceVersion: string;
}

/** Who an Event is about. */
export interface EventSubject {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** The Kubernetes API, as far as one reconcile needs it. */
export interface KubePort {
  getAutoscaler(namespace: string, name: string): Promise<AutoscalerObject | undefined>;
  /** Undefined when the Deployment does not exist. */
  getScale(namespace: string, deployment: string): Promise<ScaleView | undefined>;
  /** Writes `spec.replicas` of the Deployment's scale subresource; rejects on a conflict. */
  writeScale(namespace: string, deployment: string, replicas: number, resourceVersion: string): Promise<void>;
  /** Replaces the fields of `.status` given here (JSON merge patch on the status subresource). */
  patchStatus(namespace: string, name: string, status: AutoscalerStatus): Promise<void>;
  emitEvent(
    subject: EventSubject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void>;
}

/** One lag read: the sample plus log-start offsets (lag of partitions the group never committed). */
export interface LagReading {
  readonly sample: LagSample;
  /** By `topic/partition`. */
  readonly logStartOffsets: ReadonlyMap<string, bigint>;
}

/** Reads the group's offsets; one Kafka client per autoscaler, keyed by `key`. */
export interface LagPort {
  read(key: string, namespace: string, spec: ConsumerAutoscalerSpec): Promise<LagReading>;
  /** Closes the client of `key` (the autoscaler is gone or its connection changed). */
  release(key: string): Promise<void>;
}

/** The pure core, injected so the runtime builds before core/ exists and tests can pin behaviour. */
export interface CorePort {
  decide(input: DecisionInput): Decision;
  /**
   * The state with its per-replica rate learnt from `observation` (and the previous poll's, `previous`);
   * called before every decide().
   */
  learnRate(
    state: DecisionState,
    observation: LagObservation | undefined,
    previous: LagObservation | undefined,
    now: number,
    spec: ConsumerAutoscalerSpec,
  ): DecisionState;
  /** Derives what the decision needs from recent samples, oldest first; undefined without samples. */
  observe(
    samples: readonly LagSample[],
    logStartOffsets: ReadonlyMap<string, bigint>,
  ): LagObservation | undefined;
}

/** Hooks for metrics; all optional so tests can leave them out. */
export interface ReconcileHooks {
  onLag?(key: string, observation: LagObservation | undefined, decision: Decision): void;
  onScaleWrite?(key: string, from: number, to: number): void;
  onLagError?(key: string): void;
}

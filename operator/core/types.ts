/**
 * The operator's vocabulary, shared by the pure decision function (core/decide.ts), the simulator
 * (sim/) and the Kubernetes runtime (controller/, adapters/). Nothing here does I/O.
 */

/** `spec` of a ConsumerAutoscaler (group `autoscaling.kafka-edge.dev`, version `v1alpha1`). */
export interface ConsumerAutoscalerSpec {
  /** The Deployment whose `scale` subresource is written. */
  readonly scaleTargetRef: {
    readonly apiVersion?: string;
    readonly kind: "Deployment";
    readonly name: string;
  };
  readonly kafka: KafkaConnectionSpec;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Scale so each replica has at most this much backlog (events). */
  readonly lagPerReplica?: number;
  /** Time-lag SLO: the oldest unconsumed event should be at most this old (seconds). */
  readonly maxLagSeconds?: number;
  /** A backlog should be drained within this many seconds (default 60). */
  readonly targetDrainSeconds?: number;
  /** Events/s one replica processes until measured (the prior). */
  readonly perReplicaRate?: number;
  /**
   * Scale down only after the lower recommendation held this long (default 120 s), unless the arrivals fell
   * steadily across this window (core/trend.ts).
   */
  readonly scaleDownStabilizationSeconds?: number;
  /** Minimum time between two scale writes: each change is a stop-the-world rebalance (default 30 s). */
  readonly minHoldSeconds?: number;
  /** Allow 0 replicas when idle; wake up once total lag ≥ activationLag. */
  readonly scaleToZero?: { readonly enabled: boolean; readonly activationLag?: number };
  /** How often lag is sampled (default 5 s). */
  readonly pollIntervalSeconds?: number;
}

/** How the operator reaches Kafka; secrets are referenced, never inlined. */
export interface KafkaConnectionSpec {
  readonly bootstrapServers: string;
  readonly tls?: { readonly enabled: boolean; readonly caSecretRef?: SecretKeyRef };
  readonly sasl?: {
    readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    readonly usernameSecretRef: SecretKeyRef;
    readonly passwordSecretRef: SecretKeyRef;
  };
}

/** A key of a Secret in the autoscaler's namespace. */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/** One read of a partition: its log-end offset and the group's committed offset (null = none). */
export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  readonly logEndOffset: bigint;
  readonly committedOffset: bigint | null;
}

/** All partitions of the group's topics read at one instant (ms since epoch). */
export interface LagSample {
  readonly at: number;
  readonly partitions: readonly PartitionOffsets[];
}

/** What the lag reader derived from recent samples; the decision function's view of Kafka. */
export interface LagObservation {
  readonly at: number;
  /** Number of partitions of the group's topics: the useful maximum of replicas. */
  readonly partitionCount: number;
  /** Sum of per-partition lag (events). */
  readonly totalLag: number;
  /** Largest per-partition lag. */
  readonly maxPartitionLag: number;
  /** Partitions with lag > 0. */
  readonly partitionsWithLag: number;
  /** Events/s produced into the topics (log-end offsets' slope). */
  readonly arrivalRate: number;
  /** Events/s the group commits (committed offsets' slope). */
  readonly processingRate: number;
  /** Estimated age of the oldest unconsumed event (s), interpolated from (offset, time) history. */
  readonly timeLagSeconds: number;
  /** Partitions whose committed offset does not move while they have lag (Burrow's STALL). */
  readonly stalled: ReadonlyArray<
    { readonly topic: string; readonly partition: number; readonly lag: number }
  >;
}

/** What the controller remembers between decisions (persisted in the CR's status). */
export interface DecisionState {
  /** Replicas the Deployment has now (`scale.spec.replicas`). */
  readonly currentReplicas: number;
  /** When the operator last wrote a scale change (ms), if ever. */
  readonly lastScaleAt?: number;
  /**
   * Recent recommendations (ms, replicas), newest last, for scale-down stabilisation, with the arrival rate
   * (events/s) each was made for: the trend that may shorten the wait (core/trend.ts). State written before
   * arrivals were recorded has none; such points take no part in the trend.
   */
  readonly recommendations: ReadonlyArray<
    { readonly at: number; readonly replicas: number; readonly arrivals?: number }
  >;
  /** Measured events/s per replica (smoothed), once known. */
  readonly perReplicaRate?: number;
}

/** Why the desired count is what it is. */
export type LimitReason = "maxReplicas" | "partitions" | "minReplicas" | "hold" | "stabilization" | "none";

/** The result of one decision. */
export interface Decision {
  /** Replicas to have; equal to `state.currentReplicas` when nothing should change. */
  readonly desired: number;
  /** The unclamped, unstabilised need, for status and metrics. */
  readonly needed: number;
  readonly limitedBy: LimitReason;
  /** A sentence for status conditions and Events. */
  readonly reason: string;
  /** State to carry into the next decision. */
  readonly state: DecisionState;
}

/** The decision function's full input; `decide(input)` in core/decide.ts is pure. */
export interface DecisionInput {
  readonly now: number;
  readonly spec: ConsumerAutoscalerSpec;
  /** Undefined when lag could not be read: the decision must then keep replicas unchanged (fail-static). */
  readonly observation?: LagObservation;
  readonly state: DecisionState;
}

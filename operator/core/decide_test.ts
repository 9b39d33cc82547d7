import assert from "node:assert/strict";
import { decide } from "./decide.ts";
import type { ConsumerAutoscalerSpec, DecisionState, LagObservation, LimitReason } from "./types.ts";

const NOW = 1_000_000;

const SPEC: ConsumerAutoscalerSpec = {
  scaleTargetRef: { kind: "Deployment", name: "worker" },
  kafka: { bootstrapServers: "kafka:9092" },
  groupId: "workers",
  topics: ["events"],
  minReplicas: 1,
  maxReplicas: 50,
};

/** An observation of a group with many partitions, so round-robin granularity does not blur the arithmetic. */
function obs(overrides: Partial<LagObservation> = {}): LagObservation {
  return {
    at: NOW,
    partitionCount: 1000,
    totalLag: 0,
    maxPartitionLag: 0,
    partitionsWithLag: 0,
    arrivalRate: 0,
    processingRate: 0,
    timeLagSeconds: 0,
    stalled: [],
    ...overrides,
  };
}

function state(currentReplicas: number, overrides: Partial<DecisionState> = {}): DecisionState {
  return { currentReplicas, recommendations: [], ...overrides };
}

interface Row {
  readonly name: string;
  readonly observation: LagObservation | undefined;
  readonly state: DecisionState;
  readonly spec?: Partial<ConsumerAutoscalerSpec>;
  readonly desired: number;
  readonly needed?: number;
  readonly limitedBy?: LimitReason;
  readonly reason?: RegExp;
}

// Arrivals plus the rebalance allowance (10 s of arrivals drained over the 60 s target) = arrivals · 7/6.
const TWO_REPLICAS_EXACTLY = 1200 / 7;

const ROWS: readonly Row[] = [
  {
    name: "lag unreadable: keeps the current count (fail-static)",
    observation: undefined,
    state: state(7),
    desired: 7,
    reason: /fail-static/,
  },
  {
    name: "an idle group stays at minReplicas",
    observation: obs(),
    state: state(1),
    desired: 1,
    needed: 0,
    limitedBy: "minReplicas",
  },
  {
    name: "a need of exactly two replicas (float noise above 2) is 2, not 3",
    observation: obs({ arrivalRate: TWO_REPLICAS_EXACTLY }),
    state: state(1),
    desired: 2,
    needed: 2,
  },
  {
    name: "a need just above two replicas is 3",
    observation: obs({ arrivalRate: TWO_REPLICAS_EXACTLY + 0.01 }),
    state: state(1),
    desired: 3,
    needed: 3,
  },
  {
    name: "a scale-up goes to the full need in one write",
    observation: obs({
      arrivalRate: 1000,
      processingRate: 200,
      totalLag: 20_000,
      partitionsWithLag: 1000,
      maxPartitionLag: 20,
    }),
    state: state(2),
    // 1000·7/6 + (20 000 + 800·30 growth) / 30 s = 2633 ev/s → 27 replicas
    desired: 27,
    needed: 27,
  },
  {
    name: "a scale-up within the hold waits",
    observation: obs({
      arrivalRate: 1000,
      processingRate: 200,
      totalLag: 20_000,
      partitionsWithLag: 1000,
      maxPartitionLag: 20,
    }),
    state: state(2, { lastScaleAt: NOW - 10_000 }),
    desired: 2,
    limitedBy: "hold",
  },
  {
    name: "a backlog the current replicas drain within the target does not trigger a write",
    observation: obs({
      arrivalRate: 1000,
      processingRate: 1000,
      totalLag: 6000,
      partitionsWithLag: 1000,
      maxPartitionLag: 6,
    }),
    state: state(12),
    desired: 12,
    reason: /drain it within the target/,
  },
  {
    name: "never above the partition count",
    observation: obs({
      partitionCount: 6,
      arrivalRate: 500,
      totalLag: 1e6,
      partitionsWithLag: 6,
      maxPartitionLag: 2e5,
    }),
    state: state(2),
    desired: 6,
    limitedBy: "partitions",
  },
  {
    name: "never above maxReplicas",
    observation: obs({ arrivalRate: 500, totalLag: 1e6, partitionsWithLag: 1000, maxPartitionLag: 1000 }),
    state: state(2),
    spec: { maxReplicas: 4 },
    desired: 4,
    limitedBy: "maxReplicas",
  },
  {
    name: "replicas above the partitions come down at once, hold or not",
    observation: obs({ partitionCount: 6, arrivalRate: 100 }),
    state: state(9, { lastScaleAt: NOW - 1000, recommendations: [{ at: NOW - 5000, replicas: 6 }] }),
    desired: 6,
  },
  {
    name: "a scale-down goes only to the highest recommendation of the window",
    observation: obs({ arrivalRate: 100 }),
    state: state(10, { recommendations: [{ at: NOW - 60_000, replicas: 8 }] }),
    desired: 8,
    limitedBy: "stabilization",
  },
  {
    name: "recommendations older than the window are forgotten",
    observation: obs({ arrivalRate: 100 }),
    state: state(10, { recommendations: [{ at: NOW - 200_000, replicas: 8 }] }),
    desired: 2,
  },
  {
    name: "a scale-down within the hold waits",
    observation: obs({ arrivalRate: 100 }),
    state: state(10, { lastScaleAt: NOW - 10_000 }),
    desired: 10,
    limitedBy: "hold",
  },
  {
    name: "a stalled partition's backlog does not scale the group out",
    observation: obs({
      totalLag: 1e6,
      maxPartitionLag: 1e6,
      partitionsWithLag: 1,
      stalled: [{ topic: "events", partition: 3, lag: 1e6 }],
    }),
    state: state(1),
    desired: 1,
    needed: 0,
    reason: /stalled events\/3/,
  },
  {
    name: "one hot partition does not scale the group beyond what helps: no arrivals, one replica",
    observation: obs({ partitionCount: 24, totalLag: 1e6, maxPartitionLag: 1e6, partitionsWithLag: 1 }),
    state: state(1),
    desired: 1,
    needed: 1,
  },
  {
    name: "one hot partition its shared owner can drain in time needs only enough members to share it",
    // 350 ev/s (300 + allowance) over 24 partitions = 14.6 each; draining 1500 in 30 s takes 50 ev/s of the
    // owner, which leaves room for 3 partitions: 8 members, not 24
    observation: obs({
      partitionCount: 24,
      arrivalRate: 300,
      totalLag: 1500,
      maxPartitionLag: 1500,
      partitionsWithLag: 1,
    }),
    state: state(3),
    desired: 8,
    needed: 8,
  },
  {
    name: "one hot partition no consumer can drain in time gets a member of its own (round-robin: all)",
    observation: obs({
      partitionCount: 24,
      arrivalRate: 300,
      totalLag: 30_000,
      maxPartitionLag: 30_000,
      partitionsWithLag: 1,
    }),
    state: state(4),
    desired: 24,
    reason: /owner of its own/,
  },
  {
    name: "lagPerReplica raises the need",
    observation: obs({ totalLag: 5000, maxPartitionLag: 500, partitionsWithLag: 10 }),
    state: state(1),
    spec: { lagPerReplica: 500 },
    desired: 10,
  },
  {
    name: "lagPerReplica does not go beyond the partitions that lag",
    observation: obs({ totalLag: 5000, maxPartitionLag: 2500, partitionsWithLag: 2 }),
    state: state(1),
    spec: { lagPerReplica: 500 },
    desired: 2,
  },
  {
    name: "maxLagSeconds raises the need",
    observation: obs({
      arrivalRate: 100,
      totalLag: 30_000,
      maxPartitionLag: 30,
      partitionsWithLag: 1000,
      timeLagSeconds: 40,
    }),
    state: state(2),
    spec: { maxLagSeconds: 10, targetDrainSeconds: 600 },
    desired: 30,
  },
  {
    name: "a measured per-replica rate replaces the prior",
    observation: obs({ partitionCount: 1400, arrivalRate: 600 }),
    state: state(14, { perReplicaRate: 50 }),
    desired: 14,
    needed: 14,
  },
  {
    name: "scale to zero once idle for the whole window",
    observation: obs(),
    state: state(1, { recommendations: [{ at: NOW - 60_000, replicas: 0 }] }),
    spec: { scaleToZero: { enabled: true } },
    desired: 0,
  },
  {
    name: "at zero, lag below the activation lag stays at zero",
    observation: obs({ totalLag: 3, partitionsWithLag: 1, maxPartitionLag: 3 }),
    state: state(0),
    spec: { scaleToZero: { enabled: true, activationLag: 10 } },
    desired: 0,
  },
  {
    name: "at zero, the activation lag wakes the group at once",
    observation: obs({ totalLag: 10, partitionsWithLag: 1, maxPartitionLag: 10 }),
    state: state(0, { lastScaleAt: NOW - 1000 }),
    spec: { scaleToZero: { enabled: true, activationLag: 10 } },
    desired: 1,
    reason: /activated/,
  },
];

Deno.test("decide", async (t) => {
  for (const row of ROWS) {
    await t.step(row.name, () => {
      const decision = decide({
        now: NOW,
        spec: { ...SPEC, ...row.spec },
        observation: row.observation,
        state: row.state,
      });
      assert.equal(decision.desired, row.desired, decision.reason);
      if (row.needed !== undefined) assert.equal(decision.needed, row.needed, decision.reason);
      if (row.limitedBy !== undefined) assert.equal(decision.limitedBy, row.limitedBy, decision.reason);
      if (row.reason !== undefined) assert.match(decision.reason, row.reason);
    });
  }
});

Deno.test("decide under fail-static returns the state unchanged", () => {
  const before = state(5, { lastScaleAt: NOW - 100_000, recommendations: [{ at: NOW - 5000, replicas: 5 }] });
  const decision = decide({ now: NOW, spec: SPEC, observation: undefined, state: before });
  assert.equal(decision.state, before);
});

Deno.test("decide records the write: current count and hold start", () => {
  const decision = decide({
    now: NOW,
    spec: SPEC,
    observation: obs({ arrivalRate: 1000, processingRate: 200, totalLag: 20_000, partitionsWithLag: 1000 }),
    state: state(2),
  });
  assert.equal(decision.state.currentReplicas, decision.desired);
  assert.equal(decision.state.lastScaleAt, NOW);
});

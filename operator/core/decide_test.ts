import assert from "node:assert/strict";
import { decide } from "./decide.ts";
import { sustainMembers } from "./needs.ts";
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

/**
 * The window's recommendations (every 5 s, the last 115 s) as decide() would have recorded them for
 * `arrivals(secondsAgo)`: the arrivals' need on 1000 partitions, with the allowance. On 1000 partitions
 * round-robin makes 600 ev/s (700 with the allowance) need 8 members: with 7, one owns 143 partitions.
 */
function history(arrivals: (secondsAgo: number) => number): DecisionState["recommendations"] {
  return Array.from({ length: 23 }, (_, i) => {
    const ago = 115 - 5 * i;
    const rate = arrivals(ago);
    return { at: NOW - ago * 1000, replicas: sustainMembers(rate, 1000, 100, 60), arrivals: rate };
  });
}

/** 1175 ev/s two minutes ago, down 5 ev/s every second to 600 now: a steady fall (need 14 → 8). */
const FALLING = (ago: number) => 600 + 5 * ago;
/** A slight fall (1 ev/s per s) under ±150 ev/s of alternating noise: not a trend the data can tell. */
const NOISY_FALLING = (ago: number) => 600 + ago + (ago % 10 === 0 ? 150 : -150);

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
    name: "arrivals falling steadily across the window: scale down without waiting it out",
    observation: obs({ arrivalRate: 600 }),
    state: state(14, { recommendations: history(FALLING) }),
    desired: 8,
    reason: /falling steadily.*not waiting out the window/,
  },
  {
    name: "a noisy, non-monotone fall is no steady trend: the window's highest recommendation holds",
    observation: obs({ arrivalRate: 450 }),
    // the peaks: 600 + 110 + 150 = 860 ev/s, 10.03 replicas' worth with the allowance → 11
    state: state(14, { recommendations: history(NOISY_FALLING) }),
    desired: 11,
    limitedBy: "stabilization",
  },
  {
    name: "a single drop is no steady fall (one half of the window is flat): the window holds",
    observation: obs({ arrivalRate: 600 }),
    state: state(14, { recommendations: history((ago) => (ago > 30 ? 1175 : 600)) }),
    desired: 14,
    limitedBy: "stabilization",
  },
  {
    name: "a steady fall does not scale down mid-drain",
    // 8000 events: more than one rebalance's worth, and the 14 replicas drain it well within the target
    observation: obs({ arrivalRate: 600, totalLag: 8000, partitionsWithLag: 1000, maxPartitionLag: 8 }),
    state: state(14, { recommendations: history(FALLING) }),
    desired: 14,
    reason: /until the backlog is drained/,
  },
  {
    name: "a steady fall still keeps the hold",
    observation: obs({ arrivalRate: 600 }),
    state: state(14, { lastScaleAt: NOW - 10_000, recommendations: history(FALLING) }),
    desired: 14,
    limitedBy: "hold",
  },
  {
    name: "a steady fall under noise goes only as low as the upper prediction bound, not the latest rate",
    observation: obs({ arrivalRate: 600 }),
    state: state(14, { recommendations: history((ago) => FALLING(ago) + (ago % 10 === 0 ? 30 : -30)) }),
    // the fitted 600 ev/s now plus three prediction errors of the ±30 scatter (≈ 698 ev/s): 9, not 8
    desired: 9,
    reason: /falling steadily/,
  },
  {
    name: "recommendations recorded without arrivals (older state) take the window as before",
    observation: obs({ arrivalRate: 600 }),
    state: state(14, {
      recommendations: history(FALLING).map(({ at, replicas }) => ({ at, replicas })),
    }),
    desired: 14,
    limitedBy: "stabilization",
  },
  {
    name: "arrivals rising steadily: no scale-down below the count a backlog asked for",
    // 24 replicas wrote for a drained backlog; the window's arrivals alone need 7, but they keep rising
    observation: obs({ arrivalRate: 600 }),
    state: state(24, { recommendations: history((ago) => 600 - 2 * ago) }),
    desired: 24,
    reason: /rising steadily.*no scale-down/,
  },
  {
    name: "a flat load after a backlog-driven scale-up comes down to the window's highest recommendation",
    observation: obs({ arrivalRate: 600 }),
    state: state(24, { recommendations: history(() => 600) }),
    desired: 8,
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

import assert from "node:assert/strict";
import { perReplicaRateSample, smoothPerReplicaRate, updatePerReplicaRate } from "./rate.ts";
import type { LagObservation } from "./types.ts";

function obs(overrides: Partial<LagObservation> = {}): LagObservation {
  return {
    at: 0,
    partitionCount: 4,
    totalLag: 10_000,
    maxPartitionLag: 2500,
    partitionsWithLag: 4,
    arrivalRate: 500,
    processingRate: 320,
    timeLagSeconds: 30,
    stalled: [],
    ...overrides,
  };
}

Deno.test("perReplicaRateSample", async (t) => {
  const cases: ReadonlyArray<
    readonly [
      string,
      LagObservation,
      number,
      LagObservation | undefined,
      number | undefined,
      boolean | undefined,
    ]
  > = [
    ["busy at both ends of the window: capacity", obs(), 4, obs(), 80, true],
    ["busy only at the end: a floor", obs(), 4, obs({ totalLag: 0, partitionsWithLag: 0 }), 80, false],
    ["no previous observation: a floor", obs(), 4, undefined, 80, false],
    ["a partition without lag: a floor", obs({ partitionsWithLag: 3 }), 4, obs(), 80, false],
    [
      "a stalled partition: a floor",
      obs({ stalled: [{ topic: "t", partition: 0, lag: 1 }] }),
      4,
      obs(),
      80,
      false,
    ],
    ["replicas beyond the partitions do not dilute the rate", obs(), 8, obs(), 80, true],
    ["nothing processed: no sample", obs({ processingRate: 0 }), 4, obs(), undefined, undefined],
    ["no replicas: no sample", obs(), 0, obs(), undefined, undefined],
  ];
  for (const [name, observation, replicas, previous, rate, saturated] of cases) {
    await t.step(name, () => {
      const sample = perReplicaRateSample(observation, replicas, previous);
      assert.equal(sample?.rate, rate);
      assert.equal(sample?.saturated, saturated);
    });
  }
});

Deno.test("smoothPerReplicaRate", async (t) => {
  const cases: ReadonlyArray<
    readonly [
      string,
      number | undefined,
      { rate: number; saturated: boolean } | undefined,
      number | undefined,
    ]
  > = [
    ["a saturated sample moves the prior by alpha", undefined, { rate: 50, saturated: true }, 85],
    ["a saturated sample moves a measured rate by alpha", 80, { rate: 90, saturated: true }, 83],
    ["an idle window below the belief teaches nothing", 80, { rate: 20, saturated: false }, 80],
    ["an idle window below the prior keeps the prior", undefined, { rate: 20, saturated: false }, undefined],
    ["an idle window above the belief raises it", 80, { rate: 120, saturated: false }, 92],
    ["no sample keeps the belief", 80, undefined, 80],
  ];
  for (const [name, previous, sample, expected] of cases) {
    await t.step(name, () => {
      const next = smoothPerReplicaRate(previous, sample, 100, 0.3);
      if (expected === undefined) assert.equal(next, undefined);
      else assert.ok(Math.abs((next ?? NaN) - expected) < 1e-9, `${next} ≠ ${expected}`);
    });
  }
});

Deno.test("updatePerReplicaRate learns nothing right after a scale write or without an observation", () => {
  const state = { currentReplicas: 4, recommendations: [], lastScaleAt: 100_000 };
  assert.equal(updatePerReplicaRate(state, obs(), obs(), 110_000, 100), state);
  assert.equal(updatePerReplicaRate(state, undefined, obs(), 200_000, 100), state);
  assert.equal(updatePerReplicaRate(state, obs(), obs(), 200_000, 100).perReplicaRate, 94);
});

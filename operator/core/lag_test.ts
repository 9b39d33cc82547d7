import assert from "node:assert/strict";
import {
  appendSample,
  observeLag,
  offsetRates,
  partitionLag,
  partitionTimeLag,
  stalledPartitions,
} from "./lag.ts";
import type { LagSample } from "./types.ts";

/** A sample at `seconds` with [logEnd, committed] per partition of topic "t". */
function sample(seconds: number, offsets: ReadonlyArray<readonly [number, number | null]>): LagSample {
  return {
    at: seconds * 1000,
    partitions: offsets.map(([end, committed], partition) => ({
      topic: "t",
      partition,
      logEndOffset: BigInt(end),
      committedOffset: committed === null ? null : BigInt(committed),
    })),
  };
}

Deno.test("partitionLag", async (t) => {
  const cases: ReadonlyArray<readonly [string, number, number | null, bigint | undefined, number]> = [
    ["log end minus committed", 150, 100, undefined, 50],
    ["caught up", 100, 100, undefined, 0],
    ["committed ahead of a truncated log end is no lag", 90, 100, undefined, 0],
    ["no commit and known log start: the retained log", 150, null, 40n, 110],
    ["no commit and unknown log start: the whole log", 150, null, undefined, 150],
  ];
  for (const [name, end, committed, logStart, expected] of cases) {
    await t.step(name, () => {
      const p = sample(0, [[end, committed]]).partitions[0];
      assert.equal(partitionLag(p, logStart), expected);
    });
  }
});

Deno.test("offsetRates", async (t) => {
  const cases: ReadonlyArray<readonly [string, LagSample[], number | undefined, number, number]> = [
    ["one sample knows no rate", [sample(0, [[10, 0]])], undefined, 0, 0],
    [
      "two samples: the exact slope",
      [sample(0, [[0, 0], [0, 0]]), sample(5, [[500, 100], [250, 150]])],
      10,
      150,
      50,
    ],
    [
      "only the newest window counts",
      [sample(0, [[0, 0]]), sample(20, [[100, 100]]), sample(25, [[1100, 600]]), sample(30, [[2100, 1100]])],
      10,
      200,
      100,
    ],
    [
      "a window shorter than one poll uses the previous sample",
      [sample(0, [[0, 0]]), sample(5, [[500, 500]])],
      1,
      100,
      100,
    ],
    ["a reset offset adds nothing", [sample(0, [[1000, 900]]), sample(10, [[10, 5]])], 10, 0, 0],
    [
      "commits without a previous commit are not counted",
      [sample(0, [[100, null]]), sample(10, [[200, 150]])],
      10,
      10,
      0,
    ],
  ];
  for (const [name, history, window, arrival, processing] of cases) {
    await t.step(name, () => {
      const rates = offsetRates(history, window);
      assert.equal(rates.arrivalRate, arrival);
      assert.equal(rates.processingRate, processing);
    });
  }
});

Deno.test("partitionTimeLag", async (t) => {
  // Log end 0 at t=0, 100 at t=10, 100 at t=20 (idle), 300 at t=30.
  const history = [
    sample(0, [[0, 0]]),
    sample(10, [[100, 0]]),
    sample(20, [[100, 0]]),
    sample(30, [[300, 0]]),
  ];
  const cases: ReadonlyArray<readonly [string, bigint, number]> = [
    ["caught up is no lag", 300n, 0],
    ["interpolated inside the history", 49n, 25], // event 49 produced at t=5 → 25 s old at t=30
    ["an idle stretch does not age events produced before it", 99n, 20],
    ["produced in the last interval", 199n, 5],
    ["the first event of the history", 0n, 29.9],
  ];
  for (const [name, position, expected] of cases) {
    await t.step(name, () => {
      assert.ok(Math.abs(partitionTimeLag(history, "t/0", position, 30_000) - expected) < 1e-9);
    });
  }
  await t.step("older than the history: extrapolated with the partition's rate", () => {
    // 10 events/s over the history; event 0 of a log that was at 500 at t=0 was produced 50 s earlier.
    const h = [sample(0, [[500, 0]]), sample(10, [[600, 0]])];
    assert.ok(Math.abs(partitionTimeLag(h, "t/0", 0n, 10_000) - 59.9) < 1e-9);
  });
  await t.step("older than a history without production: at least the history's span", () => {
    const h = [sample(0, [[500, 0]]), sample(10, [[500, 0]])];
    assert.equal(partitionTimeLag(h, "t/0", 0n, 10_000), 10);
  });
});

Deno.test("stalledPartitions", async (t) => {
  const cases: ReadonlyArray<readonly [string, LagSample[], number]> = [
    ["committed unchanged for 60 s over 3 samples with lag", [
      sample(0, [[100, 10]]),
      sample(30, [[200, 10]]),
      sample(60, [[300, 10]]),
    ], 1],
    ["too short a span is a pause, not a stall", [
      sample(0, [[100, 10]]),
      sample(20, [[200, 10]]),
      sample(40, [[300, 10]]),
    ], 0],
    ["too few samples", [sample(0, [[100, 10]]), sample(60, [[300, 10]])], 0],
    ["a moving committed offset is not stalled", [
      sample(0, [[100, 10]]),
      sample(30, [[200, 11]]),
      sample(60, [[300, 12]]),
    ], 0],
    ["caught up and idle is not stalled", [
      sample(0, [[10, 10]]),
      sample(30, [[10, 10]]),
      sample(60, [[10, 10]]),
    ], 0],
    ["never committed is not stalled", [
      sample(0, [[100, null]]),
      sample(30, [[200, null]]),
      sample(60, [[300, null]]),
    ], 0],
  ];
  for (const [name, history, expected] of cases) {
    await t.step(name, () => assert.equal(stalledPartitions(history).length, expected));
  }
});

Deno.test("observeLag sums lag, counts lagging partitions and leaves stalled ones out of the time lag", () => {
  const history = [
    sample(0, [[100, 100], [1000, 500], [50, 50]]),
    sample(30, [[200, 150], [1300, 500], [50, 50]]),
    sample(60, [[300, 290], [1600, 500], [50, 50]]),
  ];
  const observation = observeLag(history, { rateWindowSeconds: 30 });
  assert.ok(observation);
  assert.equal(observation.partitionCount, 3);
  assert.equal(observation.totalLag, 10 + 1100);
  assert.equal(observation.maxPartitionLag, 1100);
  assert.equal(observation.partitionsWithLag, 2);
  assert.equal(observation.arrivalRate, 400 / 30);
  assert.equal(observation.processingRate, 140 / 30);
  assert.deepEqual(observation.stalled, [{ topic: "t", partition: 1, lag: 1100 }]);
  // Partition 0's oldest unconsumed event (offset 290) was produced at t = 30 + 30·(91/100) = 57.3 s.
  assert.ok(Math.abs(observation.timeLagSeconds - 2.7) < 1e-9);
});

Deno.test("observeLag of an empty history is undefined", () => {
  assert.equal(observeLag([]), undefined);
});

Deno.test("appendSample keeps time order and drops what is older than the retention", () => {
  let history: LagSample[] = [];
  for (const s of [0, 5, 10, 15]) history = appendSample(history, sample(s, [[s, 0]]), 10);
  assert.deepEqual(history.map((s) => s.at), [5000, 10_000, 15_000]);
});

import assert from "node:assert/strict";
import { createBatcher, type RecordOutcome } from "./batcher.ts";
import { createByteBudget, recordBytes } from "./budget.ts";
import type { BatchResult, ClusterView, PartitionBatch, PartitionSender } from "./ports.ts";
import { ProduceError } from "./ports.ts";
import type { OutboundRecord } from "./types.ts";
import { createFakeClock } from "@kafka-edge/lib/testing";

const enc = new TextEncoder();

function rec(value: string, partition = 0): OutboundRecord {
  return { key: null, value: enc.encode(value), headers: [], partition };
}

interface Call {
  readonly batch: PartitionBatch;
  ok(base: bigint): void;
  fail(e: unknown): void;
}

interface Round {
  readonly batches: readonly PartitionBatch[];
  readonly timeoutMs: number;
  /** Settles the whole call: resolves with these results as given, or rejects. */
  resolve(results: readonly BatchResult[]): void;
  reject(e: unknown): void;
}

/**
 * A sender whose calls stay pending until the test settles them: per batch (`calls`, the round resolves
 * once each of its batches is settled) or per round (`rounds`).
 */
function manualSender() {
  const calls: Call[] = [];
  const rounds: Round[] = [];
  let next = 0n;
  const sender: PartitionSender = {
    sendMany(batches, timeoutMs) {
      return new Promise((resolve, reject) => {
        const results: BatchResult[] = new Array(batches.length);
        let left = batches.length;
        const set = (i: number, r: BatchResult) => {
          results[i] = r;
          if (--left === 0) resolve(results);
        };
        rounds.push({ batches, timeoutMs, resolve, reject });
        batches.forEach((batch, i) =>
          calls.push({
            batch,
            ok: (base) => set(i, { ok: true, baseOffset: base }),
            fail: (e) => set(i, { ok: false, error: e as ProduceError }),
          })
        );
      });
    },
  };
  return {
    sender,
    calls,
    rounds,
    ackAll() {
      for (const c of calls.splice(0)) {
        c.ok(next);
        next += BigInt(c.batch.records.length);
      }
    },
  };
}

const cluster = (partitions = 3): ClusterView => ({ partitions: () => partitions, healthy: () => true });

function setup(o: { maxBatchBytes?: number; budget?: number; partitions?: number } = {}) {
  const clock = createFakeClock();
  const s = manualSender();
  const budget = createByteBudget(o.budget ?? 1_000_000);
  const batcher = createBatcher({
    sender: s.sender,
    cluster: cluster(o.partitions),
    budget,
    clock,
    lingerMs: 5,
    maxBatchBytes: o.maxBatchBytes ?? 100_000,
    sendTimeoutMs: 1000,
  });
  return { clock, s, budget, batcher };
}

function outcomes(a: ReturnType<ReturnType<typeof createBatcher>["produce"]>): Promise<RecordOutcome[]> {
  assert.ok(a.admitted, "request admitted");
  return a.outcomes;
}

Deno.test("batcher coalesces the requests of one turn into one batch per partition, one round, when idle", async () => {
  const { clock, s, batcher } = setup();
  const deadline = clock.now() + 10_000;
  const r1 = outcomes(batcher.produce("t", [rec("a", 0), rec("b", 1)], deadline));
  const r2 = outcomes(batcher.produce("t", [rec("c", 0)], deadline));
  assert.equal(s.calls.length, 0, "nothing is sent before the turn ends");
  await clock.advance(0);
  assert.deepEqual(s.calls.map((c) => [c.batch.partition, c.batch.records.length]).sort(), [[0, 2], [1, 1]]);
  assert.equal(
    s.rounds.length,
    1,
    "both partitions go in one sendMany, without a linger: nothing was in flight",
  );
  assert.equal(s.rounds[0].timeoutMs, 1000);
  s.ackAll();
  const [o1, o2] = await Promise.all([r1, r2]);
  assert.deepEqual(o1.map((o) => o.ok && o.partition), [0, 1]);
  assert.ok(
    o2[0].ok && o1[0].ok && BigInt(o2[0].offset) === BigInt(o1[0].offset) + 1n,
    "offsets follow order",
  );
});

Deno.test("batcher lingers for company only while another send is in flight", async () => {
  const { clock, s, batcher } = setup();
  const deadline = clock.now() + 10_000;
  const first = outcomes(batcher.produce("t", [rec("a", 0)], deadline));
  await clock.advance(0);
  assert.equal(s.rounds.length, 1);
  const r1 = outcomes(batcher.produce("t", [rec("b", 1)], deadline));
  await clock.advance(4);
  const r2 = outcomes(batcher.produce("t", [rec("c", 1), rec("d", 2)], deadline));
  await clock.advance(0);
  assert.equal(s.rounds.length, 1, "partitions 1 and 2 wait for company while partition 0 is in flight");
  await clock.advance(1);
  assert.equal(s.rounds.length, 2, "they go when partition 1's linger ends");
  assert.deepEqual(s.rounds[1].batches.map((b) => [b.partition, b.records.length]).sort(), [[1, 2], [2, 1]]);
  s.ackAll();
  await Promise.all([first, r1, r2]);
});

Deno.test("batcher sends lingering partitions as soon as the last send in flight settles", async () => {
  const { clock, s, batcher } = setup();
  const deadline = clock.now() + 10_000;
  const first = outcomes(batcher.produce("t", [rec("a", 0)], deadline));
  await clock.advance(0);
  const lingering = outcomes(batcher.produce("t", [rec("b", 1)], deadline));
  await clock.advance(2);
  assert.equal(s.rounds.length, 1);
  s.ackAll();
  await first;
  await clock.advance(0);
  assert.equal(
    s.rounds.length,
    2,
    "the broker is idle again: partition 1 goes without waiting out its linger",
  );
  assert.deepEqual(s.rounds[1].batches.map((b) => b.partition), [1]);
  await clock.advance(10);
  assert.equal(s.rounds.length, 2, "its linger timer was cancelled");
  s.ackAll();
  assert.ok((await lingering)[0].ok);
});

Deno.test("batcher flushes at maxBatchBytes without waiting for the linger", async () => {
  const big = "x".repeat(600);
  const { clock, s, batcher } = setup({ maxBatchBytes: 1000 });
  outcomes(batcher.produce("t", [rec(big), rec(big), rec(big)], clock.now() + 10_000));
  await clock.advance(0);
  assert.equal(s.calls.length, 1, "the first batch leaves at once");
  assert.equal(s.calls[0].batch.records.length, 1, "a batch never grows past maxBatchBytes");
});

Deno.test("batcher keeps one send in flight per partition and sends what queued meanwhile next", async () => {
  const { clock, s, batcher } = setup();
  const deadline = clock.now() + 10_000;
  const first = outcomes(batcher.produce("t", [rec("1")], deadline));
  await clock.advance(5);
  assert.equal(s.calls.length, 1);
  const second = outcomes(batcher.produce("t", [rec("2")], deadline));
  const third = outcomes(batcher.produce("t", [rec("3")], deadline));
  await clock.advance(50);
  assert.equal(s.calls.length, 1, "no second send while the first is in flight");
  s.ackAll();
  await first;
  await clock.advance(0);
  assert.equal(s.calls.length, 1, "the queued records go right after the ack, without another linger");
  assert.deepEqual(s.calls[0].batch.records.map((r) => new TextDecoder().decode(r.value!)), ["2", "3"]);
  s.ackAll();
  assert.deepEqual((await second).map((o) => o.ok && o.offset), ["1"]);
  assert.deepEqual((await third).map((o) => o.ok && o.offset), ["2"]);
});

Deno.test("batcher refuses a request that does not fit the byte budget and frees bytes on ack", async () => {
  const r = rec("y".repeat(100));
  const size = recordBytes(r);
  const { clock, s, budget, batcher } = setup({ budget: size * 2 });
  const a = outcomes(batcher.produce("t", [r, r], clock.now() + 10_000));
  const refused = batcher.produce("t", [r], clock.now() + 10_000);
  assert.deepEqual(refused, { admitted: false, reason: "budget" });
  assert.deepEqual(batcher.produce("t", [r, r, r], clock.now()), { admitted: false, reason: "too_large" });
  await clock.advance(5);
  s.ackAll();
  await a;
  assert.equal(budget.inUse, 0);
  assert.ok(batcher.produce("t", [r], clock.now() + 10_000).admitted, "admitted again once bytes are freed");
});

Deno.test("batcher answers kafka_timeout at the deadline and frees queued bytes at once, sent bytes on settle", async () => {
  const r = rec("z");
  const size = recordBytes(r);
  const { clock, s, budget, batcher } = setup();
  const sent = outcomes(batcher.produce("t", [r], clock.now() + 100));
  await clock.advance(5);
  const queued = outcomes(batcher.produce("t", [r], clock.now() + 100));
  await clock.advance(100);
  const [a] = await sent;
  const [b] = await queued;
  assert.ok(!a.ok && a.error.code === "kafka_timeout" && a.error.retriable);
  assert.ok(!b.ok && b.error.code === "kafka_timeout");
  assert.equal(budget.inUse, size, "the sent record's bytes stay reserved while its send is unsettled");
  s.ackAll();
  await clock.advance(0);
  assert.equal(budget.inUse, 0);
  assert.equal(s.calls.length, 0, "the expired queued record is never sent");
});

Deno.test("batcher reports a failed send on every record of the batch", async () => {
  const { clock, s, budget, batcher } = setup();
  const o = outcomes(batcher.produce("t", [rec("a"), rec("b")], clock.now() + 10_000));
  await clock.advance(5);
  s.calls[0].fail(new ProduceError("kafka_rejected", "record too large", false));
  const res = await o;
  assert.deepEqual(res.map((x) => !x.ok && x.error.code), ["kafka_rejected", "kafka_rejected"]);
  await clock.advance(0);
  assert.equal(budget.inUse, 0);
});

Deno.test("batcher fails fast with kafka_unavailable when the topic has no metadata", async () => {
  const clock = createFakeClock();
  const batcher = createBatcher({
    sender: manualSender().sender,
    cluster: { partitions: () => undefined, healthy: () => false },
    budget: createByteBudget(1000),
    clock,
    lingerMs: 5,
    maxBatchBytes: 1000,
    sendTimeoutMs: 100,
  });
  const [o] = await outcomes(batcher.produce("t", [rec("a")], clock.now() + 100));
  assert.ok(!o.ok && o.error.code === "kafka_unavailable");
});

Deno.test("batcher rejects an explicit partition the topic does not have, and sends the others", async () => {
  const { clock, s, budget, batcher } = setup({ partitions: 2 });
  const o = outcomes(batcher.produce("t", [rec("a", 1), rec("b", 7)], clock.now() + 10_000));
  await clock.advance(5);
  s.ackAll();
  const [good, bad] = await o;
  assert.ok(good.ok && good.partition === 1);
  assert.ok(!bad.ok && bad.error.code === "kafka_rejected" && !bad.error.retriable);
  await clock.advance(0);
  assert.equal(budget.inUse, 0);
});

Deno.test("batcher spreads keyed records by murmur2 and keeps a key on one partition", async () => {
  const { clock, s, batcher } = setup({ partitions: 6 });
  const keyed = (k: string): OutboundRecord => ({ key: enc.encode(k), value: enc.encode(k), headers: [] });
  const o = outcomes(batcher.produce("t", ["a", "b", "a", "c", "a"].map(keyed), clock.now() + 10_000));
  await clock.advance(5);
  s.ackAll();
  const res = await o;
  const pa = res.filter((_, i) => [0, 2, 4].includes(i)).map((x) => x.ok && x.partition);
  assert.equal(new Set(pa).size, 1, "one key, one partition");
});

Deno.test("drain sends queued records at once, waits for in-flight sends, then refuses new work", async () => {
  const { clock, s, batcher } = setup();
  const o = outcomes(batcher.produce("t", [rec("a")], clock.now() + 10_000));
  const drained = batcher.drain();
  await clock.advance(0);
  assert.equal(s.calls.length, 1, "sent without waiting for the linger");
  let done = false;
  drained.then(() => done = true);
  await clock.advance(0);
  assert.equal(done, false, "drain waits for the in-flight send");
  s.ackAll();
  await drained;
  assert.ok((await o)[0].ok);
  const [late] = await outcomes(batcher.produce("t", [rec("b")], clock.now() + 10_000));
  assert.ok(!late.ok && late.error.code === "shutting_down");
});

Deno.test("a round takes every partition with records and no send in flight, lingering or not", async () => {
  const { clock, s, batcher } = setup({ maxBatchBytes: 1000 });
  const deadline = clock.now() + 10_000;
  const busy = outcomes(batcher.produce("t", [rec("z", 2)], deadline));
  await clock.advance(0);
  assert.equal(s.rounds.length, 1, "partition 2 is in flight from now on");
  const lingering = outcomes(batcher.produce("t", [rec("a", 1)], deadline));
  await clock.advance(1);
  assert.equal(s.rounds.length, 1);
  const full = outcomes(batcher.produce("t", [rec("x".repeat(1000), 0)], deadline));
  await clock.advance(0);
  assert.equal(s.rounds.length, 2, "partition 0 is full: it goes now, and partition 1 rides along");
  assert.deepEqual(s.rounds[1].batches.map((b) => b.partition).sort(), [0, 1]);
  await clock.advance(10);
  assert.equal(s.rounds.length, 2, "partition 1's linger timer was cancelled");
  s.ackAll();
  assert.ok((await lingering)[0].ok && (await full)[0].ok && (await busy)[0].ok);
});

Deno.test("a partition in flight is not re-sent in the next round; it goes after its own ack", async () => {
  const { clock, s, batcher } = setup();
  const deadline = clock.now() + 10_000;
  const first = outcomes(batcher.produce("t", [rec("a", 0)], deadline));
  await clock.advance(5);
  assert.equal(s.rounds.length, 1);
  const second = outcomes(batcher.produce("t", [rec("b", 0), rec("c", 1)], deadline));
  await clock.advance(5);
  assert.equal(s.rounds.length, 2, "partition 1 goes after its linger");
  assert.deepEqual(s.rounds[1].batches.map((b) => b.partition), [1], "partition 0 is still in flight");
  s.calls.find((c) => c.batch.partition === 1)!.ok(0n);
  await clock.advance(5);
  assert.equal(s.rounds.length, 2, "partition 0's queued record waits for its in-flight send");
  s.calls.find((c) => c.batch.partition === 0)!.ok(0n);
  await first;
  await clock.advance(0);
  assert.equal(s.rounds.length, 3, "then goes at once");
  assert.deepEqual(s.rounds[2].batches.map((b) => [b.partition, b.records.length]), [[0, 1]]);
  s.rounds[2].resolve([{ ok: true, baseOffset: 1n }]);
  assert.deepEqual((await second).map((o) => o.ok && `${o.partition}@${o.offset}`), ["0@1", "1@0"]);
});

Deno.test("a partition missing from a round's answer fails alone; the others are acknowledged", async () => {
  const { clock, s, budget, batcher } = setup();
  const o = outcomes(batcher.produce("t", [rec("a", 0), rec("b", 1), rec("c", 2)], clock.now() + 10_000));
  await clock.advance(5);
  assert.deepEqual(s.rounds.map((r) => r.batches.map((b) => b.partition)), [[0, 1, 2]]);
  const notCovered = new ProduceError("kafka_rejected", "not covered", true);
  // The sender says partition 1 is not covered, and its answer stops short of partition 2.
  s.rounds[0].resolve([{ ok: true, baseOffset: 7n }, { ok: false, error: notCovered }]);
  const [zero, one, two] = await o;
  assert.ok(zero.ok && zero.partition === 0 && zero.offset === "7");
  assert.ok(!one.ok && one.error === notCovered);
  assert.ok(!two.ok && two.error.code === "kafka_rejected" && two.error.retriable, "no answer is a failure");
  await clock.advance(0);
  assert.equal(budget.inUse, 0);
});

Deno.test("a failed round fails every batch in it as retriable, and frees their lanes", async () => {
  const { clock, s, budget, batcher } = setup();
  const o = outcomes(batcher.produce("t", [rec("a", 0), rec("b", 1)], clock.now() + 10_000));
  await clock.advance(5);
  s.rounds[0].reject(new Error("connection reset"));
  const res = await o;
  assert.deepEqual(res.map((x) => !x.ok && x.error.code), ["kafka_unavailable", "kafka_unavailable"]);
  assert.ok(res.every((x) => !x.ok && x.error.retriable));
  await clock.advance(0);
  assert.equal(budget.inUse, 0);
  const again = outcomes(batcher.produce("t", [rec("c", 0), rec("d", 1)], clock.now() + 10_000));
  await clock.advance(5);
  assert.equal(s.rounds.length, 2, "both lanes are free again");
  s.rounds[1].resolve([{ ok: true, baseOffset: 0n }, { ok: true, baseOffset: 0n }]);
  assert.ok((await again).every((x) => x.ok));
});

Deno.test("batcher reports stalled while a send is pending past stallAfterMs, and recovers when it settles", async () => {
  const clock = createFakeClock();
  const s = manualSender();
  const batcher = createBatcher({
    sender: s.sender,
    cluster: cluster(),
    budget: createByteBudget(1_000_000),
    clock,
    lingerMs: 5,
    maxBatchBytes: 100_000,
    sendTimeoutMs: 1000,
    stallAfterMs: 3000,
  });
  const o = outcomes(batcher.produce("t", [rec("a")], clock.now() + 60_000));
  await clock.advance(5);
  assert.equal(batcher.stalled(), false, "a fresh send is not a stall");
  await clock.advance(3001);
  assert.equal(batcher.stalled(), true, "a send pending past the limit is");
  s.ackAll();
  await o;
  assert.equal(batcher.stalled(), false, "it clears once the send settles");
});

import assert from "node:assert/strict";
import { createBatcher, type RecordOutcome } from "./batcher.ts";
import { createByteBudget, recordBytes } from "./budget.ts";
import type { ClusterView, PartitionBatch, PartitionSender } from "./ports.ts";
import { ProduceError } from "./ports.ts";
import type { OutboundRecord } from "./types.ts";
import { createFakeClock } from "../testing/fake_clock.ts";

const enc = new TextEncoder();

function rec(value: string, partition = 0): OutboundRecord {
  return { key: null, value: enc.encode(value), headers: [], partition };
}

/** A sender whose sends stay pending until the test settles them. */
function manualSender() {
  const calls: { batch: PartitionBatch; ok: (base: bigint) => void; fail: (e: unknown) => void }[] = [];
  let next = 0n;
  const sender: PartitionSender = {
    send(batch) {
      return new Promise((resolve, reject) => {
        calls.push({
          batch,
          ok: (base) => resolve({ baseOffset: base }),
          fail: reject,
        });
      });
    },
  };
  return {
    sender,
    calls,
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

Deno.test("batcher coalesces concurrent requests into one send per partition after the linger", async () => {
  const { clock, s, batcher } = setup();
  const deadline = clock.now() + 10_000;
  const r1 = outcomes(batcher.produce("t", [rec("a", 0), rec("b", 1)], deadline));
  const r2 = outcomes(batcher.produce("t", [rec("c", 0)], deadline));
  await clock.advance(4);
  assert.equal(s.calls.length, 0, "nothing is sent before the linger ends");
  await clock.advance(1);
  assert.deepEqual(s.calls.map((c) => [c.batch.partition, c.batch.records.length]).sort(), [[0, 2], [1, 1]]);
  s.ackAll();
  const [o1, o2] = await Promise.all([r1, r2]);
  assert.deepEqual(o1.map((o) => o.ok && o.partition), [0, 1]);
  assert.ok(
    o2[0].ok && o1[0].ok && BigInt(o2[0].offset) === BigInt(o1[0].offset) + 1n,
    "offsets follow order",
  );
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

import assert from "node:assert/strict";
import { type DeadLetterRecord, DLQ_HEADERS } from "./dead_letter.ts";
import { processChunk, type ProcessorDeps } from "./processor.ts";
import { compileFilter, compileProjection } from "./select.ts";
import { SinkError, type SinkRecord, type SinkWriteResult } from "./sink.ts";
import type { ConsumedRecord } from "./types.ts";

const enc = new TextEncoder();

function rec(offset: number, value: unknown, headers: Record<string, string> = {}): ConsumedRecord {
  return {
    topic: "t",
    partition: 0,
    offset: String(offset),
    timestamp: "1714564800000",
    key: null,
    value: value === null ? null : enc.encode(typeof value === "string" ? value : JSON.stringify(value)),
    headers,
  };
}

type Script = (records: readonly SinkRecord[], call: number) => SinkWriteResult | Promise<SinkWriteResult>;

function setup(script: Script, overrides: Partial<ProcessorDeps> = {}) {
  const writes: number[][] = [];
  const sleeps: number[] = [];
  const dead: DeadLetterRecord[] = [];
  let calls = 0;
  const deps: ProcessorDeps = {
    sink: {
      name: "fake",
      write: (records) => {
        writes.push(records.map((r) => Number(r.offset)));
        return Promise.resolve(script(records, ++calls));
      },
    },
    deadLetter: (records) => {
      dead.push(...records);
      return Promise.resolve();
    },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    now: () => 0,
    random: () => 0.5,
    group: "g",
    selection: {},
    retry: { attempts: 3, initialBackoffMs: 100, maxBackoffMs: 1000 },
    onExhausted: "dlq",
    ...overrides,
  };
  return { deps, writes, sleeps, dead };
}

const signals = () => ({ stop: new AbortController().signal, abort: new AbortController().signal });
const fail = (index: number, kind: "transient" | "permanent", message = "nope", retryAfterMs?: number) => ({
  index,
  error: new SinkError(message, kind, retryAfterMs),
});

Deno.test("all acknowledged: every record is settled in one write", async () => {
  const { deps, writes } = setup(() => ({}));
  const result = await processChunk([rec(0, { a: 1 }), rec(1, { a: 2 })], deps, signals());
  assert.equal(result.settled, 2);
  assert.equal(result.delivered.length, 2);
  assert.deepEqual(writes, [[0, 1]]);
});

Deno.test("transient failures are retried alone with backoff until they succeed", async () => {
  const { deps, writes, sleeps } = setup((_records, call) =>
    call === 1 ? { failures: [fail(1, "transient")] } : {}
  );
  const result = await processChunk([rec(0, {}), rec(1, {}), rec(2, {})], deps, signals());
  assert.deepEqual(writes, [[0, 1, 2], [1]]);
  assert.deepEqual(sleeps, [50], "half of the first ceiling with random() = 0.5");
  assert.equal(result.settled, 3);
  assert.deepEqual(result.failedAttempts, { transient: 1, permanent: 0 });
});

Deno.test("Retry-After from the sink is honoured as the minimum wait", async () => {
  const { deps, sleeps } = setup((
    _r,
    call,
  ) => (call === 1 ? { failures: [fail(0, "transient", "busy", 700)] } : {}));
  await processChunk([rec(0, {})], deps, signals());
  assert.deepEqual(sleeps, [700]);
});

Deno.test("a thrown error fails the whole write transiently", async () => {
  const { deps, writes } = setup((_r, call) => {
    if (call === 1) throw new TypeError("connection reset");
    return {};
  });
  const result = await processChunk([rec(0, {}), rec(1, {})], deps, signals());
  assert.deepEqual(writes, [[0, 1], [0, 1]]);
  assert.equal(result.settled, 2);
});

Deno.test("a permanent failure is dead-lettered at once and its neighbours are delivered", async () => {
  const { deps, writes, dead, sleeps } = setup(() => ({ failures: [fail(1, "permanent", "HTTP 400")] }));
  const result = await processChunk([rec(0, {}), rec(1, { bad: true }), rec(2, {})], deps, signals());
  assert.deepEqual(writes, [[0, 1, 2]]);
  assert.deepEqual(sleeps, []);
  assert.equal(result.settled, 3);
  assert.equal(result.deadLettered, 1);
  assert.equal(dead[0].headers[DLQ_HEADERS.offset], "1");
  assert.equal(dead[0].headers[DLQ_HEADERS.attempts], "1");
  assert.equal(dead[0].headers[DLQ_HEADERS.errorMessage], "HTTP 400");
});

Deno.test("exhausted retries dead-letter the record after exactly RETRY_ATTEMPTS writes", async () => {
  const { deps, writes, dead, sleeps } = setup((records) => ({
    failures: records.flatMap((r, i) => (r.offset === "1" ? [fail(i, "transient", "timeout")] : [])),
  }));
  const result = await processChunk([rec(0, {}), rec(1, {})], deps, signals());
  assert.deepEqual(writes, [[0, 1], [1], [1]]);
  assert.deepEqual(sleeps, [50, 100]);
  assert.equal(result.settled, 2);
  assert.equal(dead[0].headers[DLQ_HEADERS.errorKind], "transient");
  assert.equal(dead[0].headers[DLQ_HEADERS.attempts], "3");
});

Deno.test("ON_RETRIES_EXHAUSTED=pause blocks the partition instead of dead-lettering", async () => {
  const { deps, dead } = setup(
    (records) => ({ failures: records.flatMap((r, i) => (r.offset === "1" ? [fail(i, "transient")] : [])) }),
    { onExhausted: "pause" },
  );
  const result = await processChunk([rec(0, {}), rec(1, {}), rec(2, {})], deps, signals());
  assert.equal(result.settled, 1, "only the record before the stuck one may be committed");
  assert.match(result.blocked!, /retries exhausted after 3 attempts/);
  assert.equal(dead.length, 0);
});

Deno.test("when the DLQ cannot be written nothing from the failed record on is settled", async () => {
  const { deps } = setup(() => ({ failures: [fail(1, "permanent")] }), {
    deadLetter: () => Promise.reject(new Error("NOT_LEADER_FOR_PARTITION")),
  });
  const result = await processChunk([rec(0, {}), rec(1, {}), rec(2, {})], deps, signals());
  assert.equal(result.settled, 1);
  assert.match(result.blocked!, /dead-letter topic is not writable: NOT_LEADER_FOR_PARTITION/);
  assert.equal(result.deadLettered, 0);
});

Deno.test("without DLQ_TOPIC an undeliverable record blocks instead of being dropped", async () => {
  const { deps } = setup(() => ({ failures: [fail(0, "permanent")] }), { deadLetter: undefined });
  const result = await processChunk([rec(0, {}), rec(1, {})], deps, signals());
  assert.equal(result.settled, 0);
  assert.match(result.blocked!, /DLQ_TOPIC is not set/);
});

Deno.test("stop ends retries early; the records still pending are not settled", async () => {
  const stop = new AbortController();
  const { deps, writes } = setup(() => ({ failures: [fail(1, "transient")] }), {
    sleep: () => {
      stop.abort();
      return Promise.resolve();
    },
  });
  const result = await processChunk([rec(0, {}), rec(1, {}), rec(2, {})], deps, {
    stop: stop.signal,
    abort: new AbortController().signal,
  });
  assert.deepEqual(writes, [[0, 1, 2]]);
  assert.equal(result.settled, 1);
  assert.equal(result.stopped, true);
  assert.equal(result.blocked, undefined);
});

Deno.test("undecodable records go to the DLQ without a write; tombstones and filtered records are skipped", async () => {
  const filter = compileFilter("/keep=true");
  assert.ok(filter.ok);
  const { deps, writes, dead } = setup(() => ({}), { selection: { filter: filter.value } });
  const result = await processChunk(
    [
      rec(0, { keep: true }),
      rec(1, null),
      rec(2, { keep: false }),
      rec(3, "{}", { ce_specversion: "0.3" }),
    ],
    deps,
    signals(),
  );
  assert.deepEqual(writes, [[0]]);
  assert.equal(result.settled, 4);
  assert.deepEqual(result.skipped, { filtered: 1, tombstone: 1 });
  assert.equal(dead.length, 1);
  assert.equal(dead[0].headers[DLQ_HEADERS.errorClass], "EnvelopeError");
  assert.equal(dead[0].headers[DLQ_HEADERS.attempts], "0");
});

Deno.test("PROJECTION hands the sink only the selected data; a missing part is dead-lettered", async () => {
  const projection = compileProjection("/payload");
  assert.ok(projection.ok);
  const seen: unknown[] = [];
  const { deps, dead } = setup((records) => {
    seen.push(...records.map((r) => r.event.data));
    return {};
  }, { selection: { projection: projection.value } });
  const result = await processChunk(
    [rec(0, { payload: { x: 1 }, noise: 2 }), rec(1, { other: 1 })],
    deps,
    signals(),
  );
  assert.deepEqual(seen, [{ x: 1 }]);
  assert.equal(result.settled, 2);
  assert.equal(dead[0].headers[DLQ_HEADERS.errorClass], "ProjectionError");
});

Deno.test("binary and structured CloudEvents and raw bytes all reach the sink decoded", async () => {
  const seen: SinkRecord[] = [];
  const { deps } = setup((records) => {
    seen.push(...records);
    return {};
  });
  const structured = { specversion: "1.0", id: "s1", source: "/s", type: "t.s", data: { s: 1 } };
  await processChunk(
    [
      rec(0, { b: 1 }, {
        ce_specversion: "1.0",
        ce_id: "b1",
        ce_source: "/b",
        ce_type: "t.b",
        "content-type": "application/json",
      }),
      rec(1, structured, { "content-type": "application/cloudevents+json" }),
      { ...rec(2, null), value: new Uint8Array([0xff, 0xfe]) },
    ],
    deps,
    signals(),
  );
  assert.deepEqual(seen.map((r) => [r.event.id, r.event.type]), [["b1", "t.b"], ["s1", "t.s"], [
    "t-0-2",
    "kafka-edge.raw",
  ]]);
  assert.deepEqual(seen[0].event.data, { b: 1 });
  assert.deepEqual(seen[1].event.data, { s: 1 });
  assert.deepEqual(seen[2].event.data, new Uint8Array([0xff, 0xfe]));
});

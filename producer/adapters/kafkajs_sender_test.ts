/**
 * The kafkajs sender against a stand-in kafkajs producer: how a round becomes one `sendBatch`, how the
 * answer is checked per topic-partition, and what happens when kafkajs fails a multi-partition call.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Kafka, ProducerBatch, RecordMetadata } from "kafkajs";
import { createLogger } from "@kafka-edge/lib";
import type { PartitionBatch } from "../core/ports.ts";
import { classifyKafkaError, createKafkajsSender, toMessage } from "./kafkajs_sender.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
/** A message value as text, whether handed over as bytes (the lean record is installed here) or a string. */
const text = (v: unknown) => (v instanceof Uint8Array ? dec.decode(v) : String(v));

function batch(topic: string, partition: number, ...values: string[]): PartitionBatch {
  return {
    topic,
    partition,
    records: values.map((v) => ({ key: enc.encode(`k-${v}`), value: enc.encode(v), headers: [["h", v]] })),
  };
}

/** Answers every partition of a call with offset 100 × partition, unless `answer` says otherwise. */
function fakeKafka(answer?: (call: ProducerBatch) => RecordMetadata[] | Error) {
  const calls: ProducerBatch[] = [];
  const producer = {
    sendBatch(call: ProducerBatch): Promise<RecordMetadata[]> {
      calls.push(call);
      const given = answer?.(call);
      if (given instanceof Error) return Promise.reject(given);
      return Promise.resolve(
        given ??
          call.topicMessages!.flatMap(({ topic, messages }) =>
            [...new Set(messages.map((m) => m.partition!))].map((partition) => ({
              topicName: topic,
              partition,
              errorCode: 0,
              baseOffset: String(100 * partition),
            }))
          ),
      );
    },
  };
  const kafka = { producer: () => producer } as unknown as Kafka;
  const lines: string[] = [];
  const sender = createKafkajsSender(kafka, createLogger({ level: "debug", sink: (l) => lines.push(l) }));
  return { sender, calls, lines };
}

/** kafkajs' shape of a broker's per-partition rejection. */
function protocolError(type: string, retriable: boolean): Error {
  return Object.assign(new Error(type), { name: "KafkaJSProtocolError", type, retriable });
}

Deno.test("a round is one sendBatch: one entry per topic, every message naming its partition, acks=all", async () => {
  const { sender, calls } = fakeKafka();
  const results = await sender.sendMany(
    [batch("a", 0, "1", "2"), batch("b", 3, "3"), batch("a", 1, "4")],
    250,
  );
  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.equal(call.acks, -1);
  assert.equal(call.timeout, 250);
  assert.deepEqual(
    call.topicMessages!.map((
      { topic, messages },
    ) => [topic, messages.map((m) => `${m.partition}:${text(m.value)}`)]),
    [["a", ["0:1", "0:2", "1:4"]], ["b", ["3:3"]]],
  );
  // With the lean record installed (as in the gateway) records go over as they are: bytes and header pairs.
  const m = call.topicMessages![0].messages[0];
  assert.equal(text(m.key), "k-1");
  assert.deepEqual(m.headers, [["h", "1"]]);
  assert.deepEqual(results, [{ ok: true, baseOffset: 0n }, { ok: true, baseOffset: 300n }, {
    ok: true,
    baseOffset: 100n,
  }]);
});

Deno.test("a partition the answer does not cover, or covers with an error, fails alone", async () => {
  const { sender, lines } = fakeKafka(() => [
    { topicName: "a", partition: 0, errorCode: 0, baseOffset: "5" },
    { topicName: "a", partition: 1, errorCode: 6 },
  ]);
  const [zero, one, two] = await sender.sendMany(
    [batch("a", 0, "x"), batch("a", 1, "y"), batch("a", 2, "z")],
    1,
  );
  assert.deepEqual(zero, { ok: true, baseOffset: 5n });
  for (const r of [one, two]) assert.ok(!r.ok && r.error.code === "kafka_rejected" && r.error.retriable);
  assert.equal(lines.filter((l) => l.includes("does not cover")).length, 2);
});

Deno.test("a failed multi-partition call is re-sent one batch per call, so only the partition at fault fails", async () => {
  const { sender, calls } = fakeKafka((call) => {
    const partitions = call.topicMessages!.flatMap((t) => t.messages.map((m) => m.partition));
    return partitions.includes(1) ? protocolError("MESSAGE_TOO_LARGE", false) : undefined!;
  });
  const sent = [batch("a", 0, "x"), batch("a", 1, "y"), batch("b", 2, "z")];
  const [zero, one, two] = await sender.sendMany(sent, 1);
  assert.equal(calls.length, 4, "the failed call, then one per batch");
  assert.deepEqual(
    calls.slice(1).map((c) => c.topicMessages!.map((t) => [t.topic, t.messages.map((m) => text(m.value))])),
    [[["a", ["x"]]], [["a", ["y"]]], [["b", ["z"]]]],
    "each batch re-sent unchanged",
  );
  assert.deepEqual(zero, { ok: true, baseOffset: 0n });
  assert.ok(!one.ok && one.error.code === "kafka_rejected" && !one.error.retriable);
  assert.deepEqual(two, { ok: true, baseOffset: 200n });
});

Deno.test("a failed single-partition call rejects with the classified error, without a re-send", async () => {
  const down = fakeKafka(() => new Error("Connection error: ECONNREFUSED"));
  await assert.rejects(
    down.sender.sendMany([batch("a", 0, "x")], 1),
    (e: Error & { code?: string; retriable?: boolean }) =>
      e.code === "kafka_unavailable" && e.retriable === true,
  );
  assert.equal(down.calls.length, 1);
});

Deno.test("without the lean record, constant CloudEvent header values go to kafkajs as shared Buffers", () => {
  const record = (id: string) => ({
    key: enc.encode(id),
    value: enc.encode("{}"),
    headers: [
      ["ce_specversion", "1.0"],
      ["ce_id", id],
      ["ce_source", "/topics/é"],
      ["ce_type", "t"],
      ["ce_time", "2026-01-01T00:00:00Z"],
      ["content-type", "application/json"],
      ["traceparent", "00-a-b-01"],
    ] as const,
  });
  const [m1, m2] = [toMessage(record("1"), 0), toMessage(record("2"), 0)];
  assert.ok(Buffer.isBuffer(m1.key) && Buffer.isBuffer(m1.value), "kafkajs' own Record needs Buffers");
  const h1 = m1.headers!, h2 = m2.headers!;
  assert.deepEqual(Object.keys(h1), [
    "ce_specversion",
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_time",
    "content-type",
    "traceparent",
  ]);
  assert.deepEqual(Object.values(h1).map(String), [
    "1.0",
    "1",
    "/topics/é",
    "t",
    "2026-01-01T00:00:00Z",
    "application/json",
    "00-a-b-01",
  ]);
  for (const name of ["ce_specversion", "ce_source", "ce_type", "content-type"]) {
    assert.ok(Buffer.isBuffer(h1[name]) && h1[name] === h2[name], `${name} is one shared Buffer`);
  }
  assert.equal(typeof h1.ce_id, "string", "per-event values stay strings");
});

Deno.test("with the lean record, a record goes to kafkajs as it is: the same bytes and header pairs", () => {
  const record = batch("a", 0, "x").records[0];
  const m = toMessage(record, 4, true);
  assert.equal(m.partition, 4);
  assert.equal(m.key, record.key);
  assert.equal(m.value, record.value);
  assert.equal(m.headers as unknown, record.headers);
});

/**
 * kafkajs' idempotent producer and one broker, as far as sequence numbers go: the producer numbers each
 * partition's records and advances only after an answer; the broker keeps the log, answers an exact repeat
 * of a partition's last batch with that batch's offset (a duplicate) and refuses a gap. `loseNextAnswer`
 * makes the broker write the next call while its answer never arrives; `down` refuses every call.
 */
function idempotentKafka() {
  const log = new Map<number, string[]>();
  const lastBatch = new Map<number, { first: number; last: number; offset: number }>();
  const expected = new Map<number, number>();
  const nextSequence = new Map<number, number>();
  const state = { loseNextAnswer: false, down: false, calls: [] as string[][] };
  const producer = {
    sendBatch(call: ProducerBatch): Promise<RecordMetadata[]> {
      state.calls.push(call.topicMessages!.flatMap((t) => t.messages.map((m) => text(m.value))));
      if (state.down) return Promise.reject(new Error("Connection error: connect ECONNREFUSED"));
      const byPartition = new Map<number, string[]>();
      for (const m of call.topicMessages!.flatMap((t) => t.messages)) {
        byPartition.set(m.partition!, [...byPartition.get(m.partition!) ?? [], text(m.value)]);
      }
      const answers: RecordMetadata[] = [];
      for (const [partition, values] of byPartition) {
        const first = nextSequence.get(partition) ?? 0;
        const last = first + values.length - 1;
        const previous = lastBatch.get(partition);
        if (previous?.first === first && previous.last === last) {
          answers.push({ topicName: "a", partition, errorCode: 0, baseOffset: String(previous.offset) });
          continue;
        }
        if (first !== (expected.get(partition) ?? 0)) {
          return Promise.reject(protocolError("OUT_OF_ORDER_SEQUENCE_NUMBER", false));
        }
        const stored = log.get(partition) ?? [];
        lastBatch.set(partition, { first, last, offset: stored.length });
        answers.push({ topicName: "a", partition, errorCode: 0, baseOffset: String(stored.length) });
        log.set(partition, [...stored, ...values]);
        expected.set(partition, last + 1);
      }
      if (state.loseNextAnswer) {
        state.loseNextAnswer = false;
        return Promise.reject(new Error("Request Produce(key: 0, version: 7) timed out"));
      }
      for (const [partition, values] of byPartition) {
        nextSequence.set(partition, (nextSequence.get(partition) ?? 0) + values.length);
      }
      return Promise.resolve(answers);
    },
  };
  const kafka = { producer: () => producer } as unknown as Kafka;
  const sender = createKafkajsSender(kafka, createLogger({ level: "error", sink: () => {} }));
  return { sender, log, state };
}

Deno.test("a batch whose answer was lost is re-sent unchanged before the next one: the next is stored, not taken for a duplicate", async () => {
  const k = idempotentKafka();
  k.state.loseNextAnswer = true;
  await assert.rejects(
    k.sender.sendMany([batch("a", 0, "x")], 1),
    (e: Error & { code?: string }) => e.code === "kafka_unavailable",
  );
  const [y] = await k.sender.sendMany([batch("a", 0, "y")], 1);
  assert.deepEqual(y, { ok: true, baseOffset: 1n }, "y's own offset, not x's");
  assert.deepEqual(k.log.get(0), ["x", "y"], "every acknowledged record is in the log, once");
  assert.deepEqual(k.state.calls, [["x"], ["x"], ["y"]], "x again, unchanged, then y");
  const [z] = await k.sender.sendMany([batch("a", 0, "z")], 1);
  assert.deepEqual(z, { ok: true, baseOffset: 2n });
  assert.equal(k.state.calls.length, 4, "x is replayed once, not again");
});

Deno.test("while the replay fails, the next batch is not sent; once Kafka answers, both are stored in order", async () => {
  const k = idempotentKafka();
  k.state.loseNextAnswer = true;
  await assert.rejects(k.sender.sendMany([batch("a", 0, "x")], 1));
  k.state.down = true;
  await assert.rejects(
    k.sender.sendMany([batch("a", 0, "y"), batch("a", 1, "w")], 1),
    (e: Error & { code?: string; retriable?: boolean }) =>
      e.code === "kafka_unavailable" && e.retriable === true,
  );
  assert.deepEqual(k.state.calls.at(-1), ["x"], "only the replay was tried");
  k.state.down = false;
  const [z, v] = await k.sender.sendMany([batch("a", 0, "z"), batch("a", 1, "v")], 1);
  assert.deepEqual([z, v], [{ ok: true, baseOffset: 1n }, { ok: true, baseOffset: 0n }]);
  assert.deepEqual(k.log.get(0), ["x", "z"]);
  assert.deepEqual(k.log.get(1), ["v"]);
});

Deno.test("a refused batch leaves nothing to replay, and producer-state answers are outages (503), not rejections", async () => {
  const { sender, calls } = fakeKafka((call) =>
    call.topicMessages![0].messages.some((m) => text(m.value) === "big")
      ? protocolError("MESSAGE_TOO_LARGE", false)
      : undefined!
  );
  await assert.rejects(
    sender.sendMany([batch("a", 0, "big")], 1),
    (e: Error & { code?: string; retriable?: boolean }) =>
      e.code === "kafka_rejected" && e.retriable === false,
  );
  await sender.sendMany([batch("a", 0, "small")], 1);
  assert.deepEqual(calls.map((c) => text(c.topicMessages![0].messages[0].value)), ["big", "small"]);
  for (const type of ["OUT_OF_ORDER_SEQUENCE_NUMBER", "UNKNOWN_PRODUCER_ID", "INVALID_PRODUCER_EPOCH"]) {
    const e = classifyKafkaError(protocolError(type, false));
    assert.ok(e.code === "kafka_unavailable" && e.retriable, type);
  }
});

Deno.test("a replay the answer does not cover holds back the next batch on its partition", async () => {
  let call = 0;
  const { sender, calls } = fakeKafka(() => {
    call++;
    if (call === 1) return new Error("Request Produce(key: 0, version: 7) timed out");
    if (call === 2) return [];
    return undefined!;
  });
  await assert.rejects(sender.sendMany([batch("a", 0, "x")], 1));
  await assert.rejects(
    sender.sendMany([batch("a", 0, "y")], 1),
    (e: Error & { code?: string; retriable?: boolean }) => e.retriable === true,
  );
  assert.deepEqual(
    calls.map((c) => text(c.topicMessages![0].messages[0].value)),
    ["x", "x"],
    "y was not sent",
  );
  await sender.sendMany([batch("a", 0, "z")], 1);
  assert.deepEqual(calls.slice(2).map((c) => text(c.topicMessages![0].messages[0].value)), ["x", "z"]);
});

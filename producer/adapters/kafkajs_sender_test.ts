/**
 * The kafkajs sender against a stand-in kafkajs producer: how a round becomes one `sendBatch`, how the
 * answer is checked per topic-partition, and what happens when kafkajs fails a multi-partition call.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Kafka, ProducerBatch, RecordMetadata } from "kafkajs";
import { createLogger } from "@kafka-edge/lib";
import type { PartitionBatch } from "../core/ports.ts";
import { createKafkajsSender, toMessage } from "./kafkajs_sender.ts";

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

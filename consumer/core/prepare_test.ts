import assert from "node:assert/strict";
import { EnvelopeError } from "@kafka-edge/lib";
import { eventTimeMs, prepareRecord } from "./prepare.ts";
import { compileFilter } from "./select.ts";
import type { SinkRecord } from "./sink.ts";
import type { ConsumedRecord } from "./types.ts";

const enc = new TextEncoder();

function rec(value: Uint8Array | string | null, headers: ConsumedRecord["headers"] = {}): ConsumedRecord {
  return {
    topic: "t",
    partition: 2,
    offset: "7",
    timestamp: "1714564800000",
    key: enc.encode("k"),
    value: typeof value === "string" ? enc.encode(value) : value,
    headers,
  };
}

const binary = {
  ce_specversion: enc.encode("1.0"),
  ce_id: enc.encode("e-1"),
  ce_source: enc.encode("/s"),
  ce_type: enc.encode("user.login"),
  ce_time: enc.encode("2024-05-01T12:00:05Z"),
  "content-type": enc.encode("application/json"),
  traceparent: [enc.encode("old"), enc.encode("00-new-01")],
};

function delivered(prepared: ReturnType<typeof prepareRecord>): SinkRecord {
  assert.equal(prepared.kind, "deliver");
  return (prepared as { record: SinkRecord }).record;
}

Deno.test("a sink reading events gets every header decoded once, last value winning", () => {
  const record = delivered(prepareRecord(rec('{"user":"keita"}', binary), {}));
  assert.equal(record.headers.traceparent, "00-new-01");
  assert.equal(record.event.headers?.traceparent, "00-new-01");
  assert.deepEqual(record.event.data, { user: "keita" });
  assert.equal(record.event.id, "e-1");
});

Deno.test("a bytes-reading sink gets the record undecoded; event and headers decode on access", () => {
  const record = delivered(prepareRecord(rec('{"user":"keita"}', binary), {}, "bytes"));
  assert.equal(record.offset, "7");
  assert.equal(record.timestamp, 1714564800000);
  // Before any access the event time is not known: the Kafka timestamp stands in, nothing is decoded.
  assert.equal(eventTimeMs(record), 1714564800000);
  assert.equal(record.event.type, "user.login");
  assert.deepEqual(record.event.data, { user: "keita" });
  assert.equal(record.headers.ce_id, "e-1");
  assert.equal(eventTimeMs(record), Date.UTC(2024, 4, 1, 12, 0, 5));
});

Deno.test("an undecodable record goes to a bytes-reading sink, whose event access throws", () => {
  const bad = rec("{not json", { ...binary });
  assert.equal(prepareRecord(bad, {}).kind, "fail");
  const record = delivered(prepareRecord(bad, {}, "bytes"));
  assert.throws(() => record.event, EnvelopeError);
});

Deno.test("a FILTER makes even a bytes-reading sink's records decoded and checked first", () => {
  const filter = compileFilter("type=user.logout");
  assert.ok(filter.ok);
  const selection = { filter: filter.value };
  assert.deepEqual(prepareRecord(rec("{}", binary), selection, "bytes"), {
    kind: "skip",
    reason: "filtered",
  });
  assert.equal(prepareRecord(rec("{not json", binary), selection, "bytes").kind, "fail");
});

Deno.test("tombstones are skipped for every sink, binary-mode events without data are not", () => {
  for (const reads of ["event", "bytes"] as const) {
    assert.deepEqual(prepareRecord(rec(null), {}, reads), { kind: "skip", reason: "tombstone" });
    const record = delivered(prepareRecord(rec(null, binary), {}, reads));
    assert.equal(record.event.data, undefined);
  }
});

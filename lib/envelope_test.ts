import assert from "node:assert/strict";
import {
  type Envelope,
  EnvelopeError,
  fromCloudEventJson,
  fromKafkaRecord,
  type IncomingRecord,
  isRfc3339,
  type KafkaRecord,
  RAW_EVENT_TYPE,
  toCloudEventJson,
  toKafkaRecord,
  toStructuredKafkaRecord,
  validateEnvelope,
} from "./envelope.ts";

const base: Envelope = {
  id: "evt-1",
  source: "/orders",
  type: "com.example.order.created",
  specversion: "1.0",
  data: { orderId: 42, items: ["a", "b"] },
};

// What a consumer sees: kafkajs hands out Buffers, i.e. bytes, for values and headers.
function asConsumed(record: KafkaRecord): IncomingRecord {
  const enc = new TextEncoder();
  const bytes = (v: Uint8Array | string) => (typeof v === "string" ? enc.encode(v) : v);
  return {
    key: record.key === null ? null : enc.encode(record.key),
    value: bytes(record.value),
    headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, enc.encode(v)])),
    partition: record.partition,
  };
}

function decoded(record: IncomingRecord): { envelope: Envelope; mode: string; raw?: Uint8Array } {
  const result = fromKafkaRecord(record);
  if (!result.ok) assert.fail(`decode failed: ${result.error.message}`);
  return result;
}

Deno.test("toKafkaRecord writes binary mode with ce_ headers, content-type and a JSON value", () => {
  const record = toKafkaRecord({
    ...base,
    time: "2024-05-01T12:00:00Z",
    subject: "order/42",
    dataschema: "https://schemas.example.com/order.json",
    extensions: { partitionkey: "customer-7", traceparent: "00-abc-def-01" },
    headers: { "x-request-id": "r1" },
    partition: 2,
  });
  assert.deepEqual(record, {
    key: "customer-7",
    value: '{"orderId":42,"items":["a","b"]}',
    headers: {
      ce_id: "evt-1",
      ce_source: "/orders",
      ce_type: "com.example.order.created",
      ce_specversion: "1.0",
      ce_time: "2024-05-01T12:00:00Z",
      ce_subject: "order/42",
      ce_dataschema: "https://schemas.example.com/order.json",
      ce_partitionkey: "customer-7",
      ce_traceparent: "00-abc-def-01",
      "content-type": "application/json",
      "x-request-id": "r1",
    },
    partition: 2,
  });
});

Deno.test("an explicit key wins over the partitionkey extension", () => {
  assert.equal(toKafkaRecord({ ...base, key: "k", extensions: { partitionkey: "p" } }).key, "k");
  assert.equal(toKafkaRecord(base).key, null);
});

Deno.test("binary mode round-trips JSON, text, bytes and empty data", async (t) => {
  const cases: Record<string, Envelope> = {
    "JSON object": {
      ...base,
      key: "k1",
      partition: 0,
      extensions: { tenant: "acme" },
      headers: { traceparent: "x" },
    },
    "JSON with explicit +json type": {
      ...base,
      datacontenttype: "application/vnd.order+json",
      data: [1, null],
    },
    "text": { ...base, datacontenttype: "text/plain; charset=utf-8", data: "héllo" },
    "bytes": { ...base, datacontenttype: "application/octet-stream", data: new Uint8Array([0, 255, 7]) },
    "no data": { ...base, data: undefined },
  };
  for (const [name, envelope] of Object.entries(cases)) {
    await t.step(name, () => {
      const expected = envelope.data === undefined || envelope.datacontenttype
        ? envelope
        : { ...envelope, datacontenttype: "application/json" };
      const result = decoded(asConsumed(toKafkaRecord(envelope)));
      assert.equal(result.mode, "binary");
      assert.deepEqual(result.envelope, expected);
    });
  }
});

Deno.test("structured mode round-trips, including bytes as data_base64", () => {
  const envelope: Envelope = {
    ...base,
    datacontenttype: "image/png",
    data: new Uint8Array([137, 80, 78, 71]),
    extensions: { tenant: "acme" },
    key: "k",
  };
  const record = toStructuredKafkaRecord(envelope);
  assert.match(record.headers["content-type"], /^application\/cloudevents\+json/);
  assert.equal(JSON.parse(record.value as string).data_base64, "iVBORw==");
  const result = decoded(asConsumed(record));
  assert.equal(result.mode, "structured");
  assert.deepEqual(result.envelope, envelope);
});

Deno.test("structured JSON sent without its content type is still recognised", () => {
  const value = JSON.stringify(toCloudEventJson(base));
  const result = decoded({ value, headers: { "content-type": "application/json" } });
  assert.equal(result.mode, "structured");
  assert.deepEqual(result.envelope, base);
});

Deno.test("plain JSON values get synthesized attributes derived from the record position", () => {
  const result = decoded({
    value: '{"hello":"world"}',
    topic: "legacy",
    partition: 3,
    offset: "99",
    timestamp: "1714564800000",
  });
  assert.equal(result.mode, "json");
  assert.deepEqual(result.envelope, {
    id: "legacy-3-99",
    source: "/kafka/legacy",
    type: RAW_EVENT_TYPE,
    specversion: "1.0",
    time: "2024-05-01T12:00:00.000Z",
    datacontenttype: "application/json",
    data: { hello: "world" },
    partition: 3,
  });
  assert.equal(new TextDecoder().decode(result.raw), '{"hello":"world"}');
});

Deno.test("raw bytes are kept as bytes with caller-provided defaults", () => {
  const bytes = new Uint8Array([0xff, 0xfe, 0x00]);
  const result = fromKafkaRecord({ value: bytes, key: "k" }, {
    source: "/legacy",
    type: "x.y",
    newId: () => "fixed",
  });
  assert.ok(result.ok);
  assert.equal(result.mode, "raw");
  assert.deepEqual(result.envelope, {
    id: "fixed",
    source: "/legacy",
    type: "x.y",
    specversion: "1.0",
    datacontenttype: "application/octet-stream",
    data: bytes,
    key: "k",
  });
});

Deno.test("non-JSON text with a text content type decodes as a string", () => {
  const result = decoded({ value: "not json", headers: { "content-type": "text/plain" }, topic: "t" });
  assert.equal(result.mode, "raw");
  assert.equal(result.envelope.data, "not json");
  assert.equal(result.envelope.datacontenttype, "text/plain");
});

Deno.test("decode failures are typed errors", async (t) => {
  const cases: [string, IncomingRecord, string][] = [
    ["tombstone", { value: null }, "tombstone"],
    ["unknown specversion", { value: "{}", headers: { ce_specversion: "0.3" } }, "unsupported_specversion"],
    [
      "binary JSON that does not parse",
      {
        value: "{oops",
        headers: {
          ce_specversion: "1.0",
          ce_id: "1",
          ce_source: "s",
          ce_type: "t",
          "content-type": "application/json",
        },
      },
      "invalid_data",
    ],
    [
      "binary without id",
      { value: "", headers: { ce_specversion: "1.0", ce_source: "s", ce_type: "t" } },
      "invalid_envelope",
    ],
    [
      "structured that is not JSON",
      { value: "nope", headers: { "content-type": "application/cloudevents+json" } },
      "invalid_structured",
    ],
    [
      "structured with a bad time",
      { value: '{"specversion":"1.0","id":"1","source":"s","type":"t","time":"yesterday"}' },
      "invalid_envelope",
    ],
  ];
  for (const [name, record, code] of cases) {
    await t.step(name, () => {
      const result = fromKafkaRecord(record);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.ok(result.error instanceof EnvelopeError);
        assert.equal(result.error.code, code);
      }
    });
  }
});

Deno.test("validateEnvelope reports every broken attribute rule", () => {
  const problems = validateEnvelope({
    id: "",
    source: 5,
    specversion: "0.3",
    time: "2024-13-01T00:00:00Z",
    datacontenttype: "json",
    dataschema: "relative/path",
    partition: -1,
    extensions: { TraceParent: "x", averyveryverylongextensionname: "y", count: 3, data: "z" },
    headers: { ce_id: "x", "content-type": "y" },
  });
  assert.deepEqual(problems, [
    "id: must be a non-empty string",
    "source: must be a non-empty string",
    "type: must be a non-empty string",
    'specversion: must be "1.0"',
    "time: must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z",
    "datacontenttype: must be a media type such as application/json",
    "dataschema: must be an absolute URI",
    "partition: must be a non-negative integer",
    "extensions.TraceParent: name must be 1-20 lowercase letters or digits",
    "extensions.averyveryverylongextensionname: name must be 1-20 lowercase letters or digits",
    "extensions.count: must be a string",
    "extensions.data: name is a core attribute",
    "headers.ce_id: is reserved for CloudEvents attributes",
    "headers.content-type: is reserved for CloudEvents attributes",
  ]);
  assert.deepEqual(validateEnvelope(base), []);
});

Deno.test("toKafkaRecord refuses invalid envelopes and data its content type cannot carry", () => {
  assert.throws(
    () => toKafkaRecord({ ...base, id: "" }),
    (err) => err instanceof EnvelopeError && err.code === "invalid_envelope",
  );
  assert.throws(
    () => toKafkaRecord({ ...base, datacontenttype: "text/plain", data: { a: 1 } }),
    (err) => err instanceof EnvelopeError && err.code === "invalid_data",
  );
  assert.throws(
    () => toKafkaRecord({ ...base, data: { big: 1n } }),
    (err) => err instanceof EnvelopeError && err.code === "invalid_data",
  );
});

Deno.test("fromCloudEventJson stringifies scalar extensions and rejects object ones", () => {
  const result = fromCloudEventJson({ ...toCloudEventJson(base), retries: 3, urgent: true });
  assert.ok(result.ok);
  assert.deepEqual(result.envelope.extensions, { retries: "3", urgent: "true" });
  const bad = fromCloudEventJson({ ...toCloudEventJson(base), nested: { a: 1 } });
  assert.equal(bad.ok, false);
});

Deno.test("isRfc3339 accepts offsets and fractions and rejects impossible dates", () => {
  for (
    const ok of [
      "2024-05-01T12:00:00Z",
      "2024-05-01t12:00:00.123456+02:00",
      "2024-12-31T23:59:60Z",
      "2024-02-29T00:00:00Z",
      "2024-01-31T00:00:00Z",
      "2024-05-28T00:00:00-23:59",
    ]
  ) {
    assert.equal(isRfc3339(ok), true, ok);
  }
  for (
    const bad of [
      "2024-05-01",
      "2024-05-01 12:00:00Z",
      "2024-00-01T00:00:00Z",
      "2024-05-01T25:00:00Z",
      "2023-02-29T00:00:00Z",
      "2024-04-31T00:00:00Z",
      "2024-05-00T00:00:00Z",
      "2024-05-01T12:60:00Z",
      "2024-05-01T12:00:61Z",
      "2024-05-01T12:00:00+24:00",
      "x",
    ]
  ) {
    assert.equal(isRfc3339(bad), false, bad);
  }
});

Deno.test("jsonDataAsBytes leaves binary-mode JSON data as its bytes and decodes everything else as usual", async (t) => {
  const consumed = asConsumed(
    toKafkaRecord({ ...base, time: "2024-05-01T12:00:00Z", extensions: { tenant: "a" } }),
  );
  await t.step("binary JSON: the same envelope without data, and the value's bytes", () => {
    const full = fromKafkaRecord(consumed);
    const lean = fromKafkaRecord(consumed, { jsonDataAsBytes: true });
    assert.ok(full.ok && lean.ok);
    assert.deepEqual(lean.envelope, { ...full.envelope, data: undefined });
    assert.equal(lean.dataJson, consumed.value);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(lean.dataJson!)), full.envelope.data);
    assert.equal(full.dataJson, undefined);
  });
  await t.step(
    "bytes that are not JSON or not UTF-8 are handed over as they are (the store checks them)",
    () => {
      for (const value of [new TextEncoder().encode("{oops"), new Uint8Array([0x7b, 0xff, 0x7d])]) {
        const lean = fromKafkaRecord({ ...consumed, value }, { jsonDataAsBytes: true });
        assert.ok(lean.ok);
        assert.deepEqual(lean.dataJson, value);
      }
    },
  );
  await t.step("broken attributes still fail", () => {
    const badTime = fromKafkaRecord({
      ...consumed,
      headers: { ...consumed.headers, ce_time: "yesterday" },
    }, { jsonDataAsBytes: true });
    assert.ok(!badTime.ok && badTime.error.code === "invalid_envelope");
  });
  await t.step("empty data, text data, structured mode and plain JSON are decoded as without it", () => {
    const records: IncomingRecord[] = [
      { ...consumed, value: new Uint8Array(0) },
      asConsumed(toKafkaRecord({ ...base, datacontenttype: "text/plain", data: "hello" })),
      asConsumed(toStructuredKafkaRecord(base)),
      { topic: "t", partition: 0, offset: "7", timestamp: "1700000000000", value: '{"a":1}' },
    ];
    for (const record of records) {
      const lean = fromKafkaRecord(record, { jsonDataAsBytes: true });
      assert.ok(lean.ok);
      assert.equal(lean.dataJson, undefined);
      assert.deepEqual(lean, fromKafkaRecord(record));
    }
  });
});

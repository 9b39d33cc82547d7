import assert from "node:assert/strict";
import { kafkaBinaryV2Decoder, kafkaJsonV2Decoder, kafkaTextV2Decoder } from "./kafka_v2.ts";
import { bytes, events, problem, testContext, text } from "./test_util.ts";

Deno.test("kafka json v2 writes key and value as their exact JSON text, with partition and base64 headers", () => {
  const body = `{"records": [
    {"key": {"k": 1}, "value": {"n": 12345678901234567891}, "partition": 2, "headers": [{"key": "h", "value": "AP8="}]},
    {"value": "plain"}
  ]}`;
  const ctx = testContext({ headers: { "idempotency-key": "r", traceparent: "00-t-s-01" } });
  const [first, second] = events(kafkaJsonV2Decoder.decode(bytes(body), ctx));
  assert.equal(text(first.record.key), '{"k": 1}');
  assert.equal(text(first.record.value), '{"n": 12345678901234567891}');
  assert.equal(first.record.partition, 2);
  assert.deepEqual(first.record.headers, [["h", new Uint8Array([0x00, 0xff])], ["traceparent", "00-t-s-01"]]);
  assert.equal(first.id, "r-0");
  assert.equal(first.validate, false, "no schema on the topic: nothing to validate, nothing parsed");
  assert.equal(first.payload, undefined);
  assert.equal(second.record.key, null);
  assert.equal(text(second.record.value), '"plain"');
  assert.equal(second.record.partition, undefined);
  assert.equal(second.id, "r-1");

  const withSchema = testContext({ topic: { schema: { type: "object" } } });
  const [validated] = events(kafkaJsonV2Decoder.decode(bytes(body), withSchema));
  assert.equal(validated.validate, true);
  assert.deepEqual(validated.payload, { n: 12345678901234567891 });
});

Deno.test("kafka json v2 takes the last of a repeated field, as JSON.parse does, and null keys as no key", () => {
  const body = `{"records": [{"value": 1, "key": "a", "value": {"x": [1, 2]}, "key": null, "partition": 0,
    "partition": 3}, {"key":"k","value":"v","headers":[{"key":"h","value":"aGk="}],"headers":[]}]}`;
  const [first, second] = events(kafkaJsonV2Decoder.decode(bytes(body), testContext()));
  assert.equal(text(first.record.value), '{"x": [1, 2]}');
  assert.equal(first.record.key, null);
  assert.equal(first.record.partition, 3);
  assert.equal(text(second.record.key), '"k"');
  assert.deepEqual(second.record.headers, []);
});

Deno.test("kafka json v2 values are views of an ASCII body and encoded from a non-ASCII one", () => {
  for (
    const body of [
      '{"records": [{"key": "k1", "value": {"a": "b"}}]}',
      '{"records": [{"key": "ké", "value": {"a": "é"}}]}',
    ]
  ) {
    const raw = bytes(body);
    const [event] = events(kafkaJsonV2Decoder.decode(raw, testContext()));
    const ascii = [...body].every((c) => c.charCodeAt(0) < 0x80);
    assert.equal(text(event.record.value), ascii ? '{"a": "b"}' : '{"a": "é"}');
    assert.equal(text(event.record.key), ascii ? '"k1"' : '"ké"');
    assert.equal(event.record.value!.buffer === raw.buffer, ascii, "a view only of an all-ASCII body");
  }
});

Deno.test("kafka json v2 keeps a record's own traceparent header instead of the request's", () => {
  const body = `{"records": [{"value": 1, "headers": [{"key": "traceparent", "value": "${btoa("mine")}"}]}]}`;
  const [event] = events(
    kafkaJsonV2Decoder.decode(bytes(body), testContext({ headers: { traceparent: "req" } })),
  );
  assert.deepEqual(event.record.headers.map(([name, value]) => [name, text(value as Uint8Array)]), [[
    "traceparent",
    "mine",
  ]]);
});

Deno.test("kafka binary v2 decodes base64 keys and values and allows tombstones", () => {
  const body = '{"records": [{"key": "a2V5", "value": "AAEC"}, {"key": "a2V5", "value": null}]}';
  const [event, tombstone] = events(kafkaBinaryV2Decoder.decode(bytes(body), testContext()));
  assert.equal(text(event.record.key), "key");
  assert.deepEqual(event.record.value, new Uint8Array([0, 1, 2]));
  assert.equal(event.validate, false);
  assert.equal(tombstone.record.value, null);
  assert.equal(event.id, "gen-1");
});

Deno.test("kafka text v2 writes strings as UTF-8 and rejects non-strings", () => {
  const [event] = events(
    kafkaTextV2Decoder.decode(bytes('{"records": [{"key": "k", "value": "héllo"}]}'), testContext()),
  );
  assert.equal(text(event.record.value), "héllo");
  const result = problem(
    kafkaTextV2Decoder.decode(bytes('{"records": [{"value": {"a": 1}}]}'), testContext()),
  );
  assert.deepEqual(result.details, [{ event: 0, pointer: "/value", message: "must be a string or null" }]);
});

Deno.test("kafka v2 lists every bad record field with its index and rejects unknown fields and timestamp", () => {
  const body = `{"records": [
    {"value": "!!", "key": 5, "partition": -1, "timestamp": 1, "hedaers": []},
    {"key": "a2V5"},
    {"value": "AA==", "headers": [{"key": "", "value": "AA=="}, {"key": "h", "value": "*"}, 3]}
  ]}`;
  const result = problem(kafkaBinaryV2Decoder.decode(bytes(body), testContext()));
  assert.equal(result.status, 422);
  assert.deepEqual(result.details, [
    { event: 0, pointer: "/timestamp", message: "is not supported: the broker sets the timestamp" },
    { event: 0, pointer: "/hedaers", message: "is not a Kafka Bridge record field" },
    { event: 0, pointer: "/value", message: "must be valid base64" },
    { event: 0, pointer: "/key", message: "must be a base64 string or null" },
    { event: 0, pointer: "/partition", message: "must be an integer from 0 to 2147483647" },
    { event: 1, pointer: "/value", message: "is required" },
    { event: 2, pointer: "/headers/0/key", message: "must be a non-empty string" },
    { event: 2, pointer: "/headers/1/value", message: "must be a base64 string" },
    { event: 2, pointer: "/headers/2/key", message: "must be a non-empty string" },
  ]);
});

Deno.test("kafka v2 rejects a body without a records array", () => {
  for (const body of ["[]", '{"record": []}', '{"records": {}}', "{}"]) {
    const result = problem(kafkaJsonV2Decoder.decode(bytes(body), testContext()));
    assert.equal(result.status, 422, body);
  }
  assert.equal(problem(kafkaJsonV2Decoder.decode(bytes('{"records": []}'), testContext())).status, 400);
});

Deno.test("kafka binary v2 on a topic with a schema requires JSON values and validates them", () => {
  const ctx = testContext({ topic: { schema: { type: "object" } } });
  const [event] = events(
    kafkaBinaryV2Decoder.decode(bytes(`{"records": [{"value": "${btoa('{"a":1}')}"}]}`), ctx),
  );
  assert.equal(event.validate, true);
  assert.deepEqual(event.payload, { a: 1 });
  const result = problem(
    kafkaBinaryV2Decoder.decode(bytes('{"records": [{"value": "AP8="}, {"value": null}]}'), ctx),
  );
  assert.deepEqual(
    (result.details as { event: number; pointer: string }[]).map((d) => [d.event, d.pointer]),
    [
      [0, "/value"],
      [1, "/value"],
    ],
  );
});

import assert from "node:assert/strict";
import { jsonDecoder } from "./json.ts";
import { bytes, events, headerMap, NOW, problem, testContext, text } from "./test_util.ts";

Deno.test("json decoder writes one value as one CloudEvent in binary mode with the client's exact bytes", () => {
  const body = ' {"user": "ada", "n": 12345678901234567891, "f": 1.0} ';
  const ctx = testContext({ topic: { name: "orders", schema: { type: "object" } } });
  const [event] = events(jsonDecoder.decode(bytes(body), ctx));
  assert.equal(text(event.record.value), body.trim());
  assert.equal(event.id, "gen-1");
  assert.equal(text(event.record.key), "gen-1");
  assert.deepEqual(event.record.headers, [
    ["ce_specversion", "1.0"],
    ["ce_id", "gen-1"],
    ["ce_source", "/topics/orders"],
    ["ce_type", "kafka-edge.event"],
    ["ce_time", NOW.toISOString()],
    ["content-type", "application/json"],
  ]);
  assert.deepEqual(event.payload, JSON.parse(body));
  assert.equal(event.validate, true);
  assert.equal(event.record.partition, undefined);
});

Deno.test("json decoder treats a top-level array as a batch, one event per element, in order", () => {
  const decoded = events(jsonDecoder.decode(bytes('[{"a":1}, "two", [3]]'), testContext()));
  assert.deepEqual(decoded.map((e) => text(e.record.value)), ['{"a":1}', '"two"', "[3]"]);
  assert.deepEqual(decoded.map((e) => e.id), ["gen-1", "gen-2", "gen-3"]);
});

Deno.test("json decoder uses the topic's eventType and eventSource for ce_type and ce_source", () => {
  const ctx = testContext({
    topic: { eventType: "com.example.order", eventSource: "https://shop.example/" },
  });
  const headers = headerMap(events(jsonDecoder.decode(bytes("{}"), ctx))[0]);
  assert.equal(headers.ce_type, "com.example.order");
  assert.equal(headers.ce_source, "https://shop.example/");
});

Deno.test("json decoder takes the id from Idempotency-Key, suffixed with the index in a batch", () => {
  const single = events(
    jsonDecoder.decode(bytes("{}"), testContext({ headers: { "idempotency-key": "req-7" } })),
  );
  assert.equal(single[0].id, "req-7");
  assert.equal(headerMap(single[0]).ce_id, "req-7");
  const batch = events(
    jsonDecoder.decode(bytes("[{}, {}]"), testContext({ headers: { "idempotency-key": "req-7" } })),
  );
  assert.deepEqual(batch.map((e) => e.id), ["req-7-0", "req-7-1"]);
  assert.deepEqual(batch.map((e) => text(e.record.key)), ["req-7-0", "req-7-1"]);
  const one = events(
    jsonDecoder.decode(bytes("[{}]"), testContext({ headers: { "idempotency-key": "req-7" } })),
  );
  assert.equal(one[0].id, "req-7-0", "a one-element array is still a batch");
});

Deno.test("json decoder takes id and key from the topic's pointers, numbers exactly as written", () => {
  const ctx = testContext({
    topic: { idPointer: "/meta/id", keyPointer: "/user" },
    headers: { "idempotency-key": "ignored" },
  });
  const body =
    '[{"meta":{"id":12345678901234567891},"user":"ada"}, {"meta":{"id":"x"},"user":true}, {"user":7}]';
  const decoded = events(jsonDecoder.decode(bytes(body), ctx));
  assert.deepEqual(decoded.map((e) => e.id), ["12345678901234567891", "x", "ignored-2"]);
  assert.deepEqual(decoded.map((e) => text(e.record.key)), ["ada", "true", "7"]);
});

Deno.test("json decoder falls back to the id as key when the key pointer finds nothing or null", () => {
  const ctx = testContext({ topic: { keyPointer: "/user" } });
  const decoded = events(jsonDecoder.decode(bytes('[{"user":null}, {}]'), ctx));
  assert.deepEqual(decoded.map((e) => text(e.record.key)), ["gen-1", "gen-2"]);
});

Deno.test("json decoder answers 422 listing every event whose key or id is an object, array or empty", () => {
  const ctx = testContext({ topic: { keyPointer: "/user", idPointer: "/id" } });
  const result = problem(
    jsonDecoder.decode(bytes('[{"user":{}}, {"user":"ok"}, {"user":[1], "id":""}]'), ctx),
  );
  assert.equal(result.status, 422);
  assert.equal(result.code, "unprocessable_entity");
  assert.deepEqual(result.details, [
    { event: 0, pointer: "/user", message: "must be a string, number or boolean, not an object" },
    { event: 2, pointer: "/id", message: "must not be empty (it is the event id)" },
    { event: 2, pointer: "/user", message: "must be a string, number or boolean, not an array" },
  ]);
});

Deno.test("json decoder copies traceparent and tracestate request headers onto every record", () => {
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const ctx = testContext({ headers: { traceparent, tracestate: "congo=t61rcWkgMzE" } });
  for (const event of events(jsonDecoder.decode(bytes("[1, 2]"), ctx))) {
    assert.equal(headerMap(event).traceparent, traceparent);
    assert.equal(headerMap(event).tracestate, "congo=t61rcWkgMzE");
  }
});

Deno.test("json decoder rejects an empty array and malformed JSON with 400 and the position", () => {
  const empty = problem(jsonDecoder.decode(bytes(" [ ] "), testContext()));
  assert.equal(empty.status, 400);
  assert.match(empty.message, /holds no events/);
  const malformed = problem(jsonDecoder.decode(bytes('[{"a":1},\n {"b" 2}]'), testContext()));
  assert.equal(malformed.status, 400);
  assert.deepEqual(malformed.details, { position: 16, line: 2, column: 7 });
});

Deno.test("json decoder parses payloads only for a schema or a pointer, and views an ASCII body's bytes", async (t) => {
  await t.step("no schema, no pointer: not parsed, not validated; values are views of the body", () => {
    const body = bytes('[{"a":1},{"b":[2]}]');
    const decoded = events(jsonDecoder.decode(body, testContext()));
    assert.deepEqual(decoded.map((e) => [e.payload, e.validate]), [[undefined, false], [undefined, false]]);
    assert.deepEqual(decoded.map((e) => text(e.record.value)), ['{"a":1}', '{"b":[2]}']);
    for (const e of decoded) assert.equal(e.record.value!.buffer, body.buffer, "a view, not a copy");
  });
  await t.step("a non-ASCII body is encoded per event, with the client's exact bytes", () => {
    const body = bytes('[{"name":"é"}, {"name":"日本"}]');
    const decoded = events(jsonDecoder.decode(body, testContext()));
    assert.deepEqual(decoded.map((e) => text(e.record.value)), ['{"name":"é"}', '{"name":"日本"}']);
    assert.notEqual(decoded[0].record.value!.buffer, body.buffer);
  });
  await t.step("a key pointer parses (and the schema-less payload is still not validated)", () => {
    const [event] = events(
      jsonDecoder.decode(bytes('{"user":"ada"}'), testContext({ topic: { keyPointer: "/user" } })),
    );
    assert.deepEqual(event.payload, { user: "ada" });
    assert.equal(text(event.record.key), "ada");
  });
});

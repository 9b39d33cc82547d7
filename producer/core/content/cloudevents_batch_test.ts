import assert from "node:assert/strict";
import { cloudEventsBatchDecoder } from "./cloudevents_batch.ts";
import { bytes, events, problem, testContext, text } from "./test_util.ts";

const event = (id: string, data: string) =>
  `{"specversion":"1.0","id":"${id}","source":"/s","type":"t","data":${data}}`;

Deno.test("cloudevents batch decodes every event in order with its own id and exact data", () => {
  const body = `[${event("a", "1.0")}, ${event("b", '{"x": 12345678901234567891}')}]`;
  const decoded = events(cloudEventsBatchDecoder.decode(bytes(body), testContext()));
  assert.deepEqual(decoded.map((e) => e.id), ["a", "b"]);
  assert.deepEqual(decoded.map((e) => text(e.record.value)), ["1.0", '{"x": 12345678901234567891}']);
});

Deno.test("cloudevents batch lists problems of every bad event with its index", () => {
  const body = `[${event("a", "1")}, {"id":"b"}, 5]`;
  const result = problem(cloudEventsBatchDecoder.decode(bytes(body), testContext()));
  assert.equal(result.status, 422);
  assert.deepEqual(result.details, [
    { event: 1, pointer: "/specversion", message: "is required" },
    { event: 1, pointer: "/source", message: "is required" },
    { event: 1, pointer: "/type", message: "is required" },
    { event: 2, pointer: "", message: "must be a JSON object (a CloudEvent)" },
  ]);
});

Deno.test("cloudevents batch rejects an empty array and a single object with 400", () => {
  assert.equal(problem(cloudEventsBatchDecoder.decode(bytes("[]"), testContext())).status, 400);
  const single = problem(cloudEventsBatchDecoder.decode(bytes(event("a", "1")), testContext()));
  assert.equal(single.status, 400);
  assert.match(single.message, /JSON array/);
});

Deno.test("cloudevents batch caps the listed problems at 20", () => {
  const body = `[${Array.from({ length: 30 }, () => "{}").join(",")}]`;
  const result = problem(cloudEventsBatchDecoder.decode(bytes(body), testContext()));
  assert.equal((result.details as unknown[]).length, 20);
  assert.match(result.message, /first 20 of 120 shown/);
});

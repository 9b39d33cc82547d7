import assert from "node:assert/strict";
import { cloudEventsBinaryDecoder } from "./cloudevents_binary.ts";
import { bytes, events, headerMap, problem, testContext, text } from "./test_util.ts";

const ce = { "ce-specversion": "1.0", "ce-id": "b-1", "ce-source": "/s", "ce-type": "t" };

Deno.test("binary mode maps ce- headers to ce_ Kafka headers and Content-Type to content-type", () => {
  const ctx = testContext({
    headers: {
      ...ce,
      "ce-time": "2024-05-01T12:00:00Z",
      "ce-comexample": "caf%C3%A9%20au%20lait",
      "content-type": "application/json",
    },
  });
  const [event] = events(cloudEventsBinaryDecoder.decode(bytes(' {"n": 12345678901234567891} '), ctx));
  assert.equal(event.id, "b-1");
  assert.equal(text(event.record.value), ' {"n": 12345678901234567891} ');
  const headers = headerMap(event);
  assert.equal(headers.ce_comexample, "café au lait");
  assert.equal(headers.ce_time, "2024-05-01T12:00:00Z");
  assert.equal(headers["content-type"], "application/json");
  assert.equal(event.validate, true);
  assert.deepEqual(event.payload, { n: 12345678901234567891 });
});

Deno.test("binary mode forwards a non-JSON body byte for byte without validation", () => {
  const body = new Uint8Array([0x00, 0xff, 0x10]);
  const ctx = testContext({
    headers: { ...ce, "content-type": "application/octet-stream", "ce-partitionkey": "pk" },
  });
  const [event] = events(cloudEventsBinaryDecoder.decode(body, ctx));
  assert.deepEqual(event.record.value, body);
  assert.equal(event.validate, false);
  assert.equal(text(event.record.key), "pk");
});

Deno.test("binary mode rejects a malformed JSON body with 400 and its position", () => {
  const ctx = testContext({ headers: { ...ce, "content-type": "application/json" } });
  const result = problem(cloudEventsBinaryDecoder.decode(bytes('{"a":}'), ctx));
  assert.equal(result.status, 400);
  assert.deepEqual(result.details, { position: 5, line: 1, column: 6 });
});

Deno.test("binary mode names the offending headers in 422 details", () => {
  const ctx = testContext({
    headers: {
      "ce-specversion": "1.0",
      "ce-source": "/s",
      "ce-type": "t",
      "ce-bad-name": "x",
      "ce-x": "%E0%A4%A",
      "ce-datacontenttype": "a/b",
    },
  });
  const result = problem(cloudEventsBinaryDecoder.decode(bytes("x"), ctx));
  assert.equal(result.status, 422);
  assert.deepEqual(result.details, [
    {
      event: 0,
      header: "ce-datacontenttype",
      message: "is not used in binary mode: send the Content-Type header",
    },
    { event: 0, header: "ce-x", message: "is not valid percent-encoded UTF-8" },
    { event: 0, header: "ce-id", message: "is required" },
    {
      event: 0,
      header: "ce-bad-name",
      message: "is not a valid attribute name (1-20 lowercase letters or digits)",
    },
  ]);
});

import assert from "node:assert/strict";
import { cloudEventsStructuredDecoder } from "./cloudevents_structured.ts";
import { bytes, events, headerMap, NOW, problem, testContext, text } from "./test_util.ts";

const base = '"specversion":"1.0","id":"e-1","source":"https://src.example/","type":"com.example.created"';

Deno.test("structured CloudEvent becomes a binary-mode record: ce_ headers, content-type, exact data bytes", () => {
  const body =
    `{${base},"time":"2024-05-01T12:00:00.5+02:00","subject":"s1","dataschema":"https://schema.example/v1",` +
    `"datacontenttype":"application/json","traceparent":"00-x-y-01","n":5,"flag":true,` +
    `"data": {"big": 12345678901234567891, "f": 1.0}}`;
  const [event] = events(cloudEventsStructuredDecoder.decode(bytes(body), testContext()));
  assert.equal(event.id, "e-1");
  assert.equal(text(event.record.value), '{"big": 12345678901234567891, "f": 1.0}');
  assert.equal(text(event.record.key), "e-1");
  assert.deepEqual(event.record.headers, [
    ["ce_specversion", "1.0"],
    ["ce_id", "e-1"],
    ["ce_source", "https://src.example/"],
    ["ce_type", "com.example.created"],
    ["ce_time", "2024-05-01T12:00:00.5+02:00"],
    ["ce_subject", "s1"],
    ["ce_dataschema", "https://schema.example/v1"],
    ["ce_traceparent", "00-x-y-01"],
    ["ce_n", "5"],
    ["ce_flag", "true"],
    ["content-type", "application/json"],
  ]);
  assert.equal(event.validate, true);
  assert.deepEqual(event.payload, { big: 12345678901234567891, f: 1 });
});

Deno.test("structured CloudEvent: partitionkey is the Kafka key, receive time fills a missing time", () => {
  const ctx = testContext({ headers: { traceparent: "00-abc-def-01" } });
  const [event] = events(
    cloudEventsStructuredDecoder.decode(bytes(`{${base},"partitionkey":"p-9","data":1}`), ctx),
  );
  assert.equal(text(event.record.key), "p-9");
  const headers = headerMap(event);
  assert.equal(headers.ce_partitionkey, "p-9");
  assert.equal(headers.ce_time, NOW.toISOString());
  assert.equal(headers["content-type"], "application/json");
  assert.equal(headers.traceparent, "00-abc-def-01");
});

Deno.test("structured CloudEvent with a text datacontenttype writes the string's UTF-8 and skips the schema", () => {
  const body = `{${base},"datacontenttype":"text/plain; charset=utf-8","data":"héllo"}`;
  const [event] = events(cloudEventsStructuredDecoder.decode(bytes(body), testContext()));
  assert.equal(text(event.record.value), "héllo");
  assert.equal(headerMap(event)["content-type"], "text/plain; charset=utf-8");
  assert.equal(event.validate, false);
  const bad = problem(
    cloudEventsStructuredDecoder.decode(
      bytes(`{${base},"datacontenttype":"text/plain","data":{}}`),
      testContext(),
    ),
  );
  assert.equal(bad.status, 422);
  assert.deepEqual((bad.details as { pointer: string }[])[0].pointer, "/data");
});

Deno.test("structured CloudEvent data_base64 becomes the raw bytes; JSON types are parsed for validation", () => {
  const raw =
    events(cloudEventsStructuredDecoder.decode(bytes(`{${base},"data_base64":"AP8="}`), testContext()))[0];
  assert.deepEqual(raw.record.value, new Uint8Array([0x00, 0xff]));
  assert.equal(raw.validate, false);
  assert.equal(headerMap(raw)["content-type"], undefined);
  const json = events(cloudEventsStructuredDecoder.decode(
    bytes(`{${base},"datacontenttype":"application/json","data_base64":"${btoa('{"a":1}')}"}`),
    testContext(),
  ))[0];
  assert.deepEqual(json.payload, { a: 1 });
  assert.equal(json.validate, true);
});

Deno.test("structured CloudEvent without data has an empty value and nothing to validate", () => {
  const [event] = events(cloudEventsStructuredDecoder.decode(bytes(`{${base}}`), testContext()));
  assert.deepEqual(event.record.value, new Uint8Array(0));
  assert.equal(event.validate, false);
});

Deno.test("structured CloudEvent violations are all listed as 422 details with pointers", () => {
  const body = '{"specversion":"0.3","id":"","type":7,"time":"yesterday","Bad_Name":"x","ok":{"a":1},' +
    '"dataschema":"relative","data":1,"data_base64":"AA=="}';
  const result = problem(cloudEventsStructuredDecoder.decode(bytes(body), testContext()));
  assert.equal(result.status, 422);
  assert.deepEqual(result.details, [
    { event: 0, pointer: "/data_base64", message: "must not be sent together with data" },
    { event: 0, pointer: "/specversion", message: 'must be "1.0"' },
    { event: 0, pointer: "/id", message: "must be a non-empty string" },
    { event: 0, pointer: "/source", message: "is required" },
    { event: 0, pointer: "/type", message: "must be a non-empty string" },
    { event: 0, pointer: "/time", message: "must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z" },
    { event: 0, pointer: "/dataschema", message: "must be an absolute URI" },
    {
      event: 0,
      pointer: "/Bad_Name",
      message: "is not a valid attribute name (1-20 lowercase letters or digits)",
    },
    { event: 0, pointer: "/ok", message: "must be a string, a 32-bit integer or a boolean" },
  ]);
});

Deno.test("structured CloudEvent treats null attributes as absent", () => {
  const [event] = events(
    cloudEventsStructuredDecoder.decode(bytes(`{${base},"subject":null,"x":null}`), testContext()),
  );
  assert.equal(headerMap(event).ce_subject, undefined);
  assert.equal(headerMap(event).ce_x, undefined);
});

Deno.test("structured mode rejects an array with a hint to use the batch media type", () => {
  const result = problem(cloudEventsStructuredDecoder.decode(bytes(`[{${base}}]`), testContext()));
  assert.equal(result.status, 400);
  assert.match(result.message, /application\/cloudevents-batch\+json/);
});

import assert from "node:assert/strict";
import { cloudEventsBatchDecoder } from "./cloudevents_batch.ts";
import { cloudEventsBinaryDecoder } from "./cloudevents_binary.ts";
import { cloudEventsStructuredDecoder } from "./cloudevents_structured.ts";
import { jsonDecoder } from "./json.ts";
import { kafkaBinaryV2Decoder } from "./kafka_v2.ts";
import { parseMediaType } from "./media_type.ts";
import { ndjsonDecoder } from "./ndjson.ts";
import { type DecoderSelection, selectDecoder, SUPPORTED_MEDIA_TYPES } from "./select.ts";

function chosen(selection: DecoderSelection) {
  if (!selection.ok) throw new Error(selection.problem.message);
  return selection.decoder;
}

function refused(selection: DecoderSelection) {
  if (selection.ok) throw new Error(`expected 415, got ${selection.decoder.mediaTypes}`);
  return selection.problem;
}

Deno.test("decoder selection goes by media type, ignoring case and parameters", () => {
  assert.equal(chosen(selectDecoder("application/json")), jsonDecoder);
  assert.equal(chosen(selectDecoder('Application/JSON ; charset="UTF-8"')), jsonDecoder);
  assert.equal(chosen(selectDecoder("application/x-ndjson;charset=utf8")), ndjsonDecoder);
  assert.equal(chosen(selectDecoder("application/jsonl")), ndjsonDecoder);
  assert.equal(chosen(selectDecoder("application/cloudevents+json")), cloudEventsStructuredDecoder);
  assert.equal(chosen(selectDecoder("application/cloudevents-batch+json")), cloudEventsBatchDecoder);
  assert.equal(chosen(selectDecoder("application/vnd.kafka.binary.v2+json")), kafkaBinaryV2Decoder);
});

Deno.test("decoder selection answers 415 with the supported types for unknown, missing or non-UTF-8 types", () => {
  for (
    const contentType of [
      null,
      "text/plain",
      "application/xml",
      "application/json; charset=latin1",
      "json",
      "a/b;x",
    ]
  ) {
    const problem = refused(selectDecoder(contentType));
    assert.equal(problem.status, 415, String(contentType));
    assert.equal(problem.code, "unsupported_media_type");
    assert.deepEqual(problem.details, { supported: SUPPORTED_MEDIA_TYPES });
  }
  assert.match(refused(selectDecoder("application/json; charset=latin1")).message, /charset latin1/);
  assert.ok(SUPPORTED_MEDIA_TYPES.includes("application/vnd.kafka.text.v2+json"));
});

Deno.test("decoder selection picks binary mode when ce-specversion is present, unless the type is structured", () => {
  const binary = (headers: Record<string, string>) =>
    selectDecoder(new Headers({ "ce-specversion": "1.0", ...headers }));
  assert.equal(chosen(binary({})), cloudEventsBinaryDecoder);
  assert.equal(chosen(binary({ "content-type": "image/png" })), cloudEventsBinaryDecoder);
  assert.equal(chosen(binary({ "content-type": "application/json" })), cloudEventsBinaryDecoder);
  assert.equal(
    chosen(binary({ "content-type": "application/cloudevents+json" })),
    cloudEventsStructuredDecoder,
  );
  assert.equal(refused(binary({ "content-type": "application/json; charset=utf-16" })).status, 415);
  assert.equal(chosen(selectDecoder(new Headers({ "content-type": "application/json" }))), jsonDecoder);
  assert.equal(refused(selectDecoder(new Headers())).status, 415);
});

Deno.test("media type parsing handles quoted parameters and rejects malformed values", () => {
  const parsed = parseMediaType('Text/Plain; Charset="utf-8"; q="a\\"b" ;x=1');
  assert.equal(parsed?.essence, "text/plain");
  assert.deepEqual([...parsed!.params], [["charset", "utf-8"], ["q", 'a"b'], ["x", "1"]]);
  for (const bad of ["", "text", "/plain", "text/", "text/plain; a", 'text/plain; a="open', "te xt/plain"]) {
    assert.equal(parseMediaType(bad), undefined, bad);
  }
});

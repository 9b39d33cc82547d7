import assert from "node:assert/strict";
import { ndjsonDecoder } from "./ndjson.ts";
import { bytes, events, problem, testContext, text } from "./test_util.ts";

Deno.test("ndjson decoder makes one event per non-blank line with the line's exact JSON text", () => {
  const body = '{"a":1}\r\n\n   \n  [1, 2]  \n"s"';
  const decoded = events(
    ndjsonDecoder.decode(
      bytes(body),
      testContext({ headers: { "idempotency-key": "k" }, topic: { schema: {} } }),
    ),
  );
  assert.deepEqual(decoded.map((e) => text(e.record.value)), ['{"a":1}', "[1, 2]", '"s"']);
  assert.deepEqual(decoded.map((e) => e.id), ["k-0", "k-1", "k-2"]);
  assert.deepEqual(decoded[1].payload, [1, 2]);
});

Deno.test("ndjson decoder reports malformed JSON with the body's line number", () => {
  const result = problem(ndjsonDecoder.decode(bytes('{"a":1}\n\n{"b":}\n'), testContext()));
  assert.equal(result.status, 400);
  assert.equal(result.message, "malformed JSON at line 3 column 6: unexpected token '}'");
  assert.deepEqual(result.details, { position: 14, line: 3, column: 6 });
});

Deno.test("ndjson decoder rejects two values on one line", () => {
  const result = problem(ndjsonDecoder.decode(bytes('{"a":1} {"b":2}\n'), testContext()));
  assert.equal(result.status, 400);
  assert.deepEqual(result.details, { position: 8, line: 1, column: 9 });
});

Deno.test("ndjson decoder reports depth violations with the line number", () => {
  const result = problem(
    ndjsonDecoder.decode(bytes('1\n[[["deep"]]]'), testContext({ limits: { maxDepth: 2 } })),
  );
  assert.equal(result.status, 400);
  assert.deepEqual(result.details, { position: 4, line: 2, column: 3, maxDepth: 2 });
});

Deno.test("ndjson decoder rejects a body of blank lines with 400", () => {
  const result = problem(ndjsonDecoder.decode(bytes("\n  \r\n"), testContext()));
  assert.equal(result.status, 400);
  assert.match(result.message, /holds no events/);
});

Deno.test("ndjson decoder stops at maxEvents before parsing further lines", () => {
  const result = problem(
    ndjsonDecoder.decode(bytes("1\n2\n3\n{broken"), testContext({ limits: { maxEvents: 2 } })),
  );
  assert.equal(result.status, 413);
});

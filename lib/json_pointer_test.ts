import assert from "node:assert/strict";
import { escapePointerToken, parsePointer, pointerGet } from "./json_pointer.ts";

const rfcDocument = {
  foo: ["bar", "baz"],
  "": 0,
  "a/b": 1,
  "c%d": 2,
  "e^f": 3,
  "g|h": 4,
  "i\\j": 5,
  'k"l': 6,
  " ": 7,
  "m~n": 8,
};

function get(pointer: string, doc: unknown = rfcDocument): unknown {
  const parsed = parsePointer(pointer);
  assert.ok(parsed.ok, pointer);
  return pointerGet(doc, parsed.tokens);
}

Deno.test("json pointer resolves every example of RFC 6901 section 5", () => {
  assert.deepEqual(get(""), rfcDocument);
  assert.deepEqual(get("/foo"), ["bar", "baz"]);
  assert.equal(get("/foo/0"), "bar");
  for (
    const [p, v] of [["/", 0], ["/a~1b", 1], ["/c%d", 2], ["/e^f", 3], ["/g|h", 4], ["/i\\j", 5]] as const
  ) {
    assert.equal(get(p), v, p);
  }
  assert.equal(get('/k"l'), 6);
  assert.equal(get("/ "), 7);
  assert.equal(get("/m~0n"), 8);
});

Deno.test("json pointer syntax errors say what is wrong", () => {
  assert.deepEqual(parsePointer("user"), {
    ok: false,
    message: 'JSON pointer must be empty or start with "/"',
  });
  assert.equal(parsePointer("/a~2").ok, false);
});

Deno.test("json pointer follows own properties and canonical indexes only, and treats bytes as leaves", () => {
  assert.equal(get("/constructor", {}), undefined);
  assert.equal(get("/__proto__", JSON.parse('{"a":1}')), undefined);
  assert.equal(get("/01", ["a", "b"]), undefined);
  assert.equal(get("/5", ["a"]), undefined);
  assert.equal(get("/0", { x: new Uint8Array([1]) }), undefined);
  assert.equal(get("/x/0", { x: new Uint8Array([1]) }), undefined);
});

Deno.test("escapePointerToken round-trips through parsePointer", () => {
  const token = "a/~b";
  const parsed = parsePointer(`/${escapePointerToken(token)}`);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.tokens, [token]);
});

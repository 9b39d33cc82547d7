import assert from "node:assert/strict";
import { escapePointerToken, parsePointer, pointerGet } from "@kafka-edge/lib";
import { pointerText } from "./json_pointer.ts";

function get(document: unknown, pointer: string): unknown {
  const parsed = parsePointer(pointer);
  if (!parsed.ok) throw new Error(parsed.message);
  return pointerGet(document, parsed.tokens);
}

function textAt(document: unknown, pointer: string, source?: string) {
  const parsed = parsePointer(pointer);
  if (!parsed.ok) throw new Error(parsed.message);
  return pointerText(document, parsed.tokens, source);
}

Deno.test("json pointer resolves every example of RFC 6901 section 5", () => {
  const doc = {
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
  const expected: [string, unknown][] = [
    ["", doc],
    ["/foo", ["bar", "baz"]],
    ["/foo/0", "bar"],
    ["/", 0],
    ["/a~1b", 1],
    ["/c%d", 2],
    ["/e^f", 3],
    ["/g|h", 4],
    ["/i\\j", 5],
    ['/k"l', 6],
    ["/ ", 7],
    ["/m~0n", 8],
  ];
  for (const [pointer, value] of expected) assert.deepEqual(get(doc, pointer), value, pointer);
});

Deno.test("json pointer unescapes ~1 before ~0 so ~01 means the two characters ~1", () => {
  assert.deepEqual(parsePointer("/~01"), { ok: true, tokens: ["~1"] });
  assert.equal(get({ "~1": "tilde-one", "/": "slash" }, "/~01"), "tilde-one");
  assert.equal(escapePointerToken("a/b~c"), "a~1b~0c");
  assert.equal(get({ "a/b~c": true }, `/${escapePointerToken("a/b~c")}`), true);
});

Deno.test("json pointer syntax errors say what is wrong", () => {
  assert.deepEqual(parsePointer("user"), {
    ok: false,
    message: 'JSON pointer must be empty or start with "/"',
  });
  assert.equal(parsePointer("/a~2").ok, false);
  assert.equal(parsePointer("/a~").ok, false);
  assert.equal(parsePointer("/a~0~1").ok, true);
});

Deno.test("json pointer follows only own properties and canonical array indexes", () => {
  assert.equal(get({}, "/constructor"), undefined);
  assert.equal(get({}, "/__proto__"), undefined);
  assert.equal(get(JSON.parse('{"__proto__": {"x": 1}}'), "/__proto__/x"), 1);
  assert.equal(get([1, 2], "/01"), undefined);
  assert.equal(get([1, 2], "/-"), undefined);
  assert.equal(get([1, 2], "/2"), undefined);
  assert.equal(get([1, 2], "/length"), undefined);
  assert.equal(get([1, 2], "/1"), 2);
  assert.equal(get("abc", "/0"), undefined);
});

Deno.test("pointer text: strings as-is, booleans and numbers stringified, big numbers exactly as written", () => {
  const source =
    '{"s": "x", "b": false, "n": 1.50, "big": 12345678901234567891, "z": null, "o": {}, "a": []}';
  const doc = JSON.parse(source);
  assert.deepEqual(textAt(doc, "/s", source), { kind: "text", text: "x" });
  assert.deepEqual(textAt(doc, "/b", source), { kind: "text", text: "false" });
  assert.deepEqual(textAt(doc, "/n", source), { kind: "text", text: "1.50" });
  assert.deepEqual(textAt(doc, "/big", source), { kind: "text", text: "12345678901234567891" });
  assert.deepEqual(textAt(doc, "/big"), { kind: "text", text: "12345678901234567000" });
  assert.deepEqual(textAt(doc, "/z", source), { kind: "missing" });
  assert.deepEqual(textAt(doc, "/nope", source), { kind: "missing" });
  assert.equal(textAt(doc, "/o", source).kind, "invalid");
  assert.deepEqual(textAt(doc, "/a", source), {
    kind: "invalid",
    message: "must be a string, number or boolean, not an array",
  });
});

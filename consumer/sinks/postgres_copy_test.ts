import assert from "node:assert/strict";
import { copyData } from "./postgres_copy.ts";

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("copyData writes one tab-separated line per row with SQL NULL as \\N", () => {
  assert.equal(text(copyData([["a", 1, null], ["b", 2, "{}"]])), "a\t1\t\\N\nb\t2\t{}\n");
  assert.equal(text(copyData([[utf8.encode('{"é":1}'), "x", utf8.encode("[]")]])), '{"é":1}\tx\t[]\n');
  assert.equal(copyData([]).length, 0);
});

Deno.test("copyData escapes what would end a field or a row, or start an escape, in text and bytes", () => {
  // Unescaped, each would split the value into more fields or rows, or read "\N" as NULL and "\." as the end.
  const specials = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", "\\."];
  const escaped = "tab\\there\tline\\nbreak\tcr\\rhere\tback\\\\slash\t\\\\N\t\\\\.\n";
  assert.equal(text(copyData([specials])), escaped);
  assert.equal(text(copyData([specials.map((s) => utf8.encode(s))])), escaped);
  assert.equal(text(copyData([[utf8.encode('{"a":\n "b\\"c"}')]])), '{"a":\\n "b\\\\"c"}\n');
});

Deno.test("copyData grows past its first buffer without losing bytes", () => {
  const big = utf8.encode("x".repeat(40_000));
  const escapedBig = utf8.encode("\\".repeat(40_000));
  const rows = Array.from({ length: 5 }, (_, i) => [`id-${i}`, i % 2 ? big : escapedBig]);
  const lines = text(copyData(rows)).split("\n");
  assert.equal(lines.length, 6);
  for (const [i, line] of lines.slice(0, 5).entries()) {
    assert.equal(line, `id-${i}\t` + (i % 2 ? "x".repeat(40_000) : "\\\\".repeat(40_000)));
  }
});

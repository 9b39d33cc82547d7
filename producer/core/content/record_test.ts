import assert from "node:assert/strict";
import { utf8, utf8Each } from "./record.ts";

Deno.test("utf8Each gives TextEncoder's bytes for every text, ASCII or not, in order", () => {
  const texts = ["", "0193b1c2-aaaa-7bbb-8ccc-0123456789ab", "clé", "a", "\u{1F600}x", "", "tail\u007f", "é"];
  let seed = 3;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  const alphabet = ["a", "Z", "0", "-", "\u0080", "é", "\u{10FFFF}", "\u007f", "\ud800"];
  for (let i = 0; i < 200; i++) {
    texts.push(Array.from({ length: rnd(40) }, () => alphabet[rnd(alphabet.length)]).join(""));
  }
  const got = utf8Each(texts);
  assert.equal(got.length, texts.length);
  texts.forEach((t, i) => assert.deepEqual(got[i], utf8.encode(t), `text ${i}: ${JSON.stringify(t)}`));
});

Deno.test("utf8Each views never overlap: changing one key leaves the others as they were", () => {
  const texts = ["first", "sécond", "third", "", "fourth"];
  const got = utf8Each(texts);
  got[0].fill(0);
  got[2].fill(0);
  assert.deepEqual(got[1], utf8.encode("sécond"));
  assert.deepEqual(got[4], utf8.encode("fourth"));
});

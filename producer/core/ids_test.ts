import assert from "node:assert/strict";
import { uuidv7 } from "./ids.ts";

Deno.test("uuidv7 is an RFC 9562 version-7 UUID that sorts by time", () => {
  const a = uuidv7(1_700_000_000_000);
  const b = uuidv7(1_700_000_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < b);
  assert.equal(a.slice(0, 13).replace("-", ""), (1_700_000_000_000).toString(16).padStart(12, "0"));
});

Deno.test("uuidv7 ids are distinct across refills of the random pool, with 74 random bits each", () => {
  const ids = Array.from({ length: 1000 }, () => uuidv7(1_700_000_000_000));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) {
    assert.match(id, /^018bcfe5-6800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  // Every hex digit of the random part shows up: the bytes are not stuck or zeroed.
  const randomDigits = new Set(ids.flatMap((id) => [...(id.slice(15, 18) + id.slice(20)).replace("-", "")]));
  assert.equal(randomDigits.size, 16);
});

Deno.test("uuidv7 writes all 48 bits of the time, big-endian", () => {
  const t = 0xfedcba987654;
  assert.equal(uuidv7(t).slice(0, 13), "fedcba98-7654");
  assert.equal(uuidv7(0).slice(0, 13), "00000000-0000");
});

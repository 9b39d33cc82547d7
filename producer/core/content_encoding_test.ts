import assert from "node:assert/strict";
import { decodeBody, parseContentEncoding } from "./content_encoding.ts";

const encoder = new TextEncoder();

async function compress(data: Uint8Array, format: "gzip" | "deflate"): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream(format),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const events = encoder.encode(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ user: `u${i}` }))));

Deno.test("parseContentEncoding: none, identity, gzip, x-gzip, deflate, lists in applied order", () => {
  assert.deepEqual(parseContentEncoding(null), { ok: true, codings: [] });
  assert.deepEqual(parseContentEncoding("identity"), { ok: true, codings: [] });
  assert.deepEqual(parseContentEncoding("GZip"), { ok: true, codings: ["gzip"] });
  assert.deepEqual(parseContentEncoding("x-gzip"), { ok: true, codings: ["gzip"] });
  assert.deepEqual(parseContentEncoding("deflate, gzip"), { ok: true, codings: ["deflate", "gzip"] });
  assert.deepEqual(parseContentEncoding(" gzip , identity ,"), { ok: true, codings: ["gzip"] });
});

Deno.test("parseContentEncoding names the first coding it cannot decode", () => {
  assert.deepEqual(parseContentEncoding("br"), { ok: false, coding: "br" });
  assert.deepEqual(parseContentEncoding("gzip, zstd"), { ok: false, coding: "zstd" });
});

Deno.test("decodeBody undoes gzip, deflate and both stacked, byte for byte", async () => {
  for (const format of ["gzip", "deflate"] as const) {
    const decoded = await decodeBody(await compress(events, format), [format], 1 << 20);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.body, events);
  }
  // Applied deflate first, then gzip: undone gzip first.
  const stacked = await compress(await compress(events, "deflate"), "gzip");
  const decoded = await decodeBody(stacked, ["deflate", "gzip"], 1 << 20);
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.body, events);
});

Deno.test("decodeBody stops a zip bomb at the limit", async () => {
  // 64 MiB of zeros is ~65 KB of gzip.
  const bomb = await compress(new Uint8Array(64 << 20), "gzip");
  assert.ok(bomb.byteLength < 100_000);
  const decoded = await decodeBody(bomb, ["gzip"], 1 << 20);
  assert.ok(!decoded.ok);
  assert.equal(decoded.reason, "too_large");
  assert.match(decoded.message, /exceeds 1048576 bytes once gzip-decoded/);
});

Deno.test("decodeBody: exactly the limit passes, one byte more does not", async () => {
  const body = await compress(new Uint8Array(1000).fill(65), "gzip");
  assert.ok((await decodeBody(body, ["gzip"], 1000)).ok);
  const over = await decodeBody(body, ["gzip"], 999);
  assert.ok(!over.ok && over.reason === "too_large");
});

Deno.test("decodeBody reports corrupt, truncated and empty input as corrupt", async () => {
  const gz = await compress(events, "gzip");
  for (
    const bad of [encoder.encode("not gzip at all"), gz.subarray(0, gz.byteLength - 12), new Uint8Array()]
  ) {
    const decoded = await decodeBody(bad, ["gzip"], 1 << 20);
    assert.ok(!decoded.ok);
    assert.equal(decoded.reason, "corrupt");
    assert.match(decoded.message, /not valid gzip data/);
  }
  const plainAsDeflate = await decodeBody(events, ["deflate"], 1 << 20);
  assert.ok(!plainAsDeflate.ok && plainAsDeflate.reason === "corrupt");
});

import assert from "node:assert/strict";
import { readCapped } from "./read_capped.ts";

function streamOf(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
    cancel: onCancel,
  });
}

Deno.test("readCapped returns a one-chunk stream as that chunk, without a copy", async () => {
  const chunk = new Uint8Array([1, 2, 3]);
  assert.equal(await readCapped(streamOf([chunk]).getReader(), 3), chunk);
});

Deno.test("readCapped joins chunks in order, up to exactly max bytes", async () => {
  const body = await readCapped(
    streamOf([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4])]).getReader(),
    4,
  );
  assert.deepEqual(body, new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual(await readCapped(streamOf([]).getReader(), 4), new Uint8Array(0));
});

Deno.test("readCapped stops as soon as it passes max and cancels the stream", async () => {
  let cancelled = false;
  const chunks = [new Uint8Array(3), new Uint8Array(2), new Uint8Array(100)];
  assert.equal(await readCapped(streamOf(chunks, () => cancelled = true).getReader(), 4), undefined);
  await new Promise((r) => setTimeout(r, 0));
  assert.ok(cancelled, "the stream was cancelled");
});

Deno.test("readCapped refuses chunks that are not bytes", async () => {
  const odd = new ReadableStream({
    start(c) {
      c.enqueue("text");
      c.close();
    },
  }) as unknown as ReadableStream<Uint8Array>;
  await assert.rejects(readCapped(odd.getReader(), 10), TypeError);
});

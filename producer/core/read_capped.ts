/**
 * Reads a byte stream whole, or stops as soon as it passes `max` bytes: then the stream is cancelled (not
 * awaited: a sender that stops sending must not hold the answer) and the result is undefined. A stream that
 * arrives in one chunk (most request bodies do) is returned as that chunk, without a copy.
 */
export async function readCapped(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  max: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new TypeError("byte stream chunks must be Uint8Array");
    size += value.byteLength;
    if (size > max) {
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * Content-Encoding of request bodies (RFC 9110 §8.4). Log shippers compress what they send (Fluent Bit's
 * `compress gzip`, Vector's `compression = "gzip"`): the gateway takes gzip and deflate, and refuses any
 * other coding with 415 and an `Accept-Encoding` listing what it takes (RFC 7694) instead of failing later
 * on the bytes as malformed JSON.
 *
 * The body limit holds for the decoded bytes as well as for the bytes on the wire, checked while decoding:
 * a small compressed body cannot expand past it (a "zip bomb"). Input is fed to the decompressor in small
 * slices because one slice can expand ~1000-fold in a single step before its output can be checked.
 *
 * @module
 */

import { readCapped } from "./read_capped.ts";

/** A coding the gateway decodes. */
export type Coding = "gzip" | "deflate";

/** What `Accept-Encoding` says on a 415 for an unknown coding. */
export const ACCEPTED_ENCODINGS = "gzip, deflate";

/** The codings of a request, in the order they were applied, or the first one the gateway cannot decode. */
export type ParsedEncoding =
  | { readonly ok: true; readonly codings: readonly Coding[] }
  | { readonly ok: false; readonly coding: string };

/** The decoded body, or why there is none. */
export type DecodedBody =
  | { readonly ok: true; readonly body: Uint8Array }
  | { readonly ok: false; readonly reason: "too_large" | "corrupt"; readonly message: string };

/**
 * Input bytes per decompressor step: deflate expands ~1032:1 at most, so a step yields ≤ ~1 MiB before the
 * limit is checked (no slower than bigger slices: inflating is the cost, ~3 ms for a 100 KB gzip body).
 */
const SLICE = 1024;

/** Parses `Content-Encoding` (absent or `identity` = none; `x-gzip` = gzip, as RFC 9110 allows). */
export function parseContentEncoding(header: string | null): ParsedEncoding {
  const codings: Coding[] = [];
  for (const token of (header ?? "").split(",")) {
    const coding = token.trim().toLowerCase();
    if (coding === "" || coding === "identity") continue;
    if (coding === "gzip" || coding === "x-gzip") codings.push("gzip");
    else if (coding === "deflate") codings.push("deflate");
    else return { ok: false, coding: token.trim() };
  }
  return { ok: true, codings };
}

/** Undoes `codings` (last applied first), never holding more than `max` decoded bytes. */
export async function decodeBody(
  body: Uint8Array,
  codings: readonly Coding[],
  max: number,
): Promise<DecodedBody> {
  let bytes = body;
  for (let i = codings.length - 1; i >= 0; i--) {
    const step = await inflate(bytes, codings[i], max);
    if (!step.ok) return step;
    bytes = step.body;
  }
  return { ok: true, body: bytes };
}

async function inflate(input: Uint8Array, coding: Coding, max: number): Promise<DecodedBody> {
  const stream = new DecompressionStream(coding);
  // Request bodies are never backed by a SharedArrayBuffer, which is all BufferSource rules out.
  const writer = stream.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
  const reader = stream.readable.getReader();
  // Fed concurrently with the reads below: a write resolves only once its output has been taken.
  const feeding = (async () => {
    for (let at = 0; at < input.byteLength; at += SLICE) {
      await writer.write(input.subarray(at, Math.min(at + SLICE, input.byteLength)));
    }
    await writer.close();
  })();
  // Its failures are the reader's too (a corrupt stream errors both ends); they are reported from there.
  feeding.catch(() => {});
  let body: Uint8Array | undefined;
  try {
    body = await readCapped(reader, max);
    // Over the limit the reader was cancelled, which fails the feeding too: nothing to wait for then.
    if (body !== undefined) await feeding;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: "corrupt", message: `the request body is not valid ${coding} data: ${why}` };
  }
  if (body === undefined) {
    return {
      ok: false,
      reason: "too_large",
      message: `the request body exceeds ${max} bytes once ${coding}-decoded`,
    };
  }
  return { ok: true, body };
}

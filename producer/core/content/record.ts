/**
 * Pieces every decoder uses to build Kafka records: request-scoped ids, trace propagation, and the
 * per-event size limit.
 *
 * @module
 */
import type { DecodeContext } from "../types.ts";

/** Kafka header as written (name, value). */
export type Header = readonly [name: string, value: string | Uint8Array];

/** Shared UTF-8 encoder. */
export const utf8: TextEncoder = new TextEncoder();

/**
 * `body` when it is all ASCII, else undefined. A body as long in bytes as its text in UTF-16 units is all
 * ASCII (any other character, a BOM included, takes more bytes than units), so offsets into the text are
 * byte offsets too: a value can be a view of the body, the same bytes without encoding them again.
 */
export function asciiBody(body: Uint8Array | undefined, text: string): Uint8Array | undefined {
  return body !== undefined && body.length === text.length ? body : undefined;
}

/**
 * The UTF-8 bytes of each text, ASCII ones (ids, most keys) as views of one buffer for all: a request's
 * keys then cost one allocation, where a TextEncoder call per key was 5 % of the gateway's CPU on batches.
 */
export function utf8Each(texts: readonly string[]): Uint8Array[] {
  // One text (a one-event request): one allocation either way, and the encoder's is exact.
  if (texts.length === 1) return [utf8.encode(texts[0])];
  let total = 0;
  for (const t of texts) total += t.length;
  const shared = new Uint8Array(total);
  const out = new Array<Uint8Array>(texts.length);
  let at = 0;
  for (let k = 0; k < texts.length; k++) {
    const t = texts[k];
    const n = t.length;
    let i = 0;
    while (i < n) {
      const c = t.charCodeAt(i);
      if (c > 0x7f) break;
      shared[at + i] = c;
      i++;
    }
    if (i < n) {
      // Not ASCII: encoded on its own; the next text overwrites what this one left in the shared buffer.
      out[k] = utf8.encode(t);
    } else {
      out[k] = shared.subarray(at, at + n);
      at += n;
    }
  }
  return out;
}

/** Request headers copied verbatim onto every record (W3C Trace Context), in this order. */
export const TRACE_HEADERS: readonly string[] = ["traceparent", "tracestate"];

/** The request's W3C trace headers as Kafka headers, skipping names the record already has. */
export function traceHeaders(ctx: DecodeContext, existing: readonly Header[] = []): Header[] {
  const out: Header[] = [];
  for (const name of TRACE_HEADERS) {
    const value = ctx.headers.get(name);
    if (value === null || existing.some(([n]) => n.toLowerCase() === name)) continue;
    out.push([name, value]);
  }
  return out;
}

/**
 * Id for an event that carries none: the `Idempotency-Key` request header (for a batch, suffixed with
 * `-<index>` so every event of a retried batch gets the same id again), else a generated one.
 */
export function fallbackId(ctx: DecodeContext, index: number, batch: boolean): string {
  const key = ctx.headers.get("idempotency-key");
  if (key !== null && key !== "") return batch ? `${key}-${index}` : key;
  return ctx.newId();
}

/**
 * A leaner record encoder for kafkajs 2.2.4's Produce requests, on Deno.
 *
 * Why: kafkajs' `Record` (src/protocol/recordBatch/record/v0) builds one `Encoder` per record and one more
 * per header, and every `new Encoder()` is a `Buffer.alloc(512)`: a fresh zero-filled ArrayBuffer. On Deno
 * each costs a slow `FastBuffer` construction plus an off-heap backing store for the GC to finalize. A v1
 * CloudEvent record (6 headers) made 7 of them: under load 16 % of the gateway's CPU went to `FastBuffer`
 * alone, and the churn of backing stores kept its RSS high. This `Record` makes the same `Encoder` calls in
 * the same order (so the same bytes) on one encoder whose buffer has the record's size (+ 4 bytes) and comes from
 * node:buffer's pool (`Buffer.allocUnsafe`: no new ArrayBuffer for records under 4 KiB; every byte up to the
 * encoder's offset is written, and only those are ever copied out).
 *
 * How it is installed: kafkajs' Produce v3 request module (kafkajs builds every Produce version it speaks,
 * v3 to v7, with it) `require`s the record module the first time a Produce request is built. Replacing the
 * cached record module's exports before then is what that `require` returns. Fail safe: nothing changes
 * unless the record module's source still has the code this was written against and the request module
 * is not loaded yet. Tied to kafkajs 2.2.4 like kafkajs_encoder.ts.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { PatchResult } from "./kafkajs_encoder.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
type Require = NodeJS.Require;

const RECORD_MODULE = "./src/protocol/recordBatch/record/v0/index.js";
const PRODUCE_REQUEST_MODULE = "./src/protocol/requests/produce/v3/request.js";

/** Fragments of kafkajs' record module this replacement was written against. */
const EXPECTED_SOURCE = [
  "return new Encoder()",
  ".writeVarIntArray(headersArray.map(Header))",
  "const sizeOfHeaders = headersArray =>",
];

interface Header {
  readonly key: string;
  readonly value: unknown;
}

/** kafkajs' own flattening of `headers`: an array value is one header per element. */
function headerList(headers: Record<string, unknown>): Header[] {
  const out: Header[] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) { for (const v of value) out.push({ key, value: v }); }
    else out.push({ key, value });
  }
  return out;
}

/** A `Record` function equivalent to kafkajs', for kafkajs' `Encoder` class and its `sizeOfHeaders`. */
export function leanRecord(
  Encoder: Any,
  sizeOfHeaders: (headers: Header[]) => number,
): (record: Record<string, Any>) => Any {
  return function Record(
    { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: Record<string, Any>,
  ): Any {
    const list = headerList(headers);
    const sizeOfBody = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) +
      Encoder.sizeOfVarIntBytes(key) + Encoder.sizeOfVarIntBytes(value) + sizeOfHeaders(list);
    // An Encoder without its constructor's Buffer.alloc: same class, same fields.
    const encoder = Object.create(Encoder.prototype);
    // + 4: the patched writeUVarInt reserves 5 bytes for any varint, also the last one-byte varint.
    encoder.buf = Buffer.allocUnsafe(sizeOfBody + Encoder.sizeOfVarInt(sizeOfBody) + 4);
    encoder.offset = 0;
    encoder.writeVarInt(sizeOfBody)
      .writeInt8(0)
      .writeVarLong(timestampDelta)
      .writeVarInt(offsetDelta)
      .writeVarIntBytes(key)
      .writeVarIntBytes(value)
      .writeVarInt(list.length);
    // kafkajs writes each header as its own Encoder(key string, value bytes) and copies it in.
    for (const header of list) encoder.writeVarIntString(header.key).writeVarIntBytes(header.value);
    return encoder;
  };
}

/** Installs {@link leanRecord} as kafkajs' record module; see the module comment. */
export function installLeanRecord(require: Require): PatchResult {
  const recordPath = require.resolve(RECORD_MODULE);
  if (require.cache[require.resolve(PRODUCE_REQUEST_MODULE)]) {
    return { patched: false, reason: "kafkajs' Produce request module was loaded before the record patch" };
  }
  const source = Deno.readTextFileSync(recordPath);
  const missing = EXPECTED_SOURCE.find((fragment) => !source.includes(fragment));
  if (missing !== undefined) {
    return { patched: false, reason: `kafkajs' Record is not the code this patch was written against` };
  }
  require(recordPath);
  const cached = require.cache[recordPath];
  if (!cached) return { patched: false, reason: "kafkajs' record module is not in the require cache" };
  const Encoder = require("./src/protocol/encoder.js");
  cached.exports = leanRecord(Encoder, sizeOfHeadersOf(Encoder));
  return { patched: true };
}

// kafkajs does not export its sizeOfHeaders; this is the same arithmetic on the same Encoder statics.
function sizeOfHeadersOf(Encoder: Any): (headers: Header[]) => number {
  return (headers) => {
    let size = Encoder.sizeOfVarInt(headers.length);
    for (const header of headers) {
      const keySize = Buffer.byteLength(header.key);
      size += Encoder.sizeOfVarInt(keySize) + keySize;
      if (header.value === null) size += Encoder.sizeOfVarInt(-1);
      else {
        const valueSize = Buffer.byteLength(header.value as string);
        size += Encoder.sizeOfVarInt(valueSize) + valueSize;
      }
    }
    return size;
  };
}

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
 * The record batch's CRC-32C is replaced the same way: kafkajs computes it a byte at a time in JavaScript
 * (~3.3 µs per KiB here, 4-5 % of the gateway's CPU); the `crc-32` package's slice-by-16 CRC-32C gives the
 * same checksum at ~0.7-1.0 µs per KiB.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import CRC32C from "crc-32/crc32c";
import { boundedMemo, REPEATED_VALUE_HEADERS } from "./header_cache.ts";
import type { PatchResult } from "./kafkajs_encoder.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
type Require = NodeJS.Require;

const RECORD_MODULE = "./src/protocol/recordBatch/record/v0/index.js";
const CRC_MODULE = "./src/protocol/recordBatch/crc32C/index.js";
const PRODUCE_REQUEST_MODULE = "./src/protocol/requests/produce/v3/request.js";

/** Fragments of kafkajs' record module this replacement was written against. */
const EXPECTED_SOURCE = [
  "return new Encoder()",
  ".writeVarIntArray(headersArray.map(Header))",
  "const sizeOfHeaders = headersArray =>",
];

/** One header as [name, value]; kafkajs' record takes a value as a string, a Buffer or null. */
type HeaderPair = readonly [string, unknown];

/** kafkajs' own flattening of `headers`: an array value is one header per element. */
function headerList(headers: Record<string, unknown>): HeaderPair[] {
  const out: HeaderPair[] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key];
    if (Array.isArray(value)) { for (const v of value) out.push([key, v]); }
    else out.push([key, value]);
  }
  return out;
}

/**
 * A `Record` function equivalent to kafkajs', for kafkajs' `Encoder` class. Besides what kafkajs' takes, it
 * takes (from producer/adapters/kafkajs_sender.ts, only once this is installed) `headers` as an array of
 * [name, value] pairs and plain `Uint8Array` keys, values and header values, written as kafkajs writes the
 * Buffer over the same bytes: the adapter then hands records over without wrapping every key and value in a
 * Buffer (a slow `FastBuffer` construction on Deno) or building a headers object per record.
 */
export function leanRecord(Encoder: Any): (record: Record<string, Any>) => Any {
  const sizeOfBytes = (v: unknown): number =>
    v instanceof Uint8Array ? Encoder.sizeOfVarInt(v.length) + v.length : Encoder.sizeOfVarIntBytes(v);
  return function Record(
    { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: Record<string, Any>,
  ): Any {
    const list: readonly HeaderPair[] = Array.isArray(headers) ? headers : headerList(headers);
    const sizeOfBody = 1 + Encoder.sizeOfVarLong(timestampDelta) + Encoder.sizeOfVarInt(offsetDelta) +
      sizeOfBytes(key) + sizeOfBytes(value) + sizeOfHeaders(Encoder, list);
    // An Encoder without its constructor's Buffer.alloc: same class, same fields.
    const encoder = Object.create(Encoder.prototype);
    // + 4: the patched writeUVarInt reserves 5 bytes for any varint, also the last one-byte varint.
    encoder.buf = Buffer.allocUnsafe(sizeOfBody + Encoder.sizeOfVarInt(sizeOfBody) + 4);
    encoder.offset = 0;
    encoder.writeVarInt(sizeOfBody)
      .writeInt8(0)
      .writeVarLong(timestampDelta)
      .writeVarInt(offsetDelta);
    writeBytes(encoder, key);
    writeBytes(encoder, value);
    encoder.writeVarInt(list.length);
    // kafkajs writes each header as its own Encoder(key string, value bytes) and copies it in.
    for (const [name, headerValue] of list) {
      const nameBytes = keptAscii(name);
      if (nameBytes !== null) writePrefixed(encoder, nameBytes);
      else if (!writeAscii(encoder, name)) encoder.writeVarIntString(name);
      const valueBytes = keptValue(name, headerValue);
      if (valueBytes !== null) writePrefixed(encoder, valueBytes);
      else if (typeof headerValue !== "string" || !writeAscii(encoder, headerValue)) {
        writeBytes(encoder, headerValue);
      }
    }
    return encoder;
  };
}

/** kafkajs' writeVarIntBytes, plus plain Uint8Arrays written as the Buffer over their bytes would be. */
function writeBytes(encoder: { buf: Uint8Array; offset: number } & Any, v: unknown): void {
  if (!(v instanceof Uint8Array)) {
    encoder.writeVarIntBytes(v);
    return;
  }
  encoder.writeVarInt(v.length);
  if (encoder.offset + v.length > encoder.buf.length) {
    encoder.writeBufferInternal(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    return;
  }
  encoder.buf.set(v, encoder.offset);
  encoder.offset += v.length;
}

// Header names and most per-event values (ids, times) are short ASCII. Measuring and writing them here
// saves two calls into Deno's node:buffer per string (Buffer.byteLength, Buffer#write), a sixth of the
// encode path; anything longer or not ASCII goes the way kafkajs writes it.
const MAX_ASCII_FAST = 128;

/** The length a varint-prefixed string takes, as kafkajs' Buffer.byteLength would say. */
function utf8Length(text: string): number {
  if (text.length <= MAX_ASCII_FAST) {
    let ascii = true;
    for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
    if (ascii) return text.length;
  }
  return Buffer.byteLength(text);
}

/** Writes `text` as kafkajs' writeVarIntString does, if it is short ASCII and fits; false otherwise. */
function writeAscii(encoder: { buf: Uint8Array; offset: number } & Any, text: string): boolean {
  const length = text.length;
  if (length > MAX_ASCII_FAST) return false;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  // The varint of a length <= 128 is at most 2 bytes; the buffer was sized for exactly these bytes.
  if (encoder.offset + length + 2 > encoder.buf.length) return false;
  encoder.writeVarInt(length);
  const buf = encoder.buf;
  let at = encoder.offset;
  for (let i = 0; i < length; i++) buf[at++] = text.charCodeAt(i);
  encoder.offset = at;
  return true;
}

// Header names, and the values of the headers that repeat on every record of a topic, recur across records:
// their varint-prefixed bytes are kept instead of measuring and writing each character twice per record.
// Per-event values (ids, times) still take writeAscii.

/** `varint(length) + bytes` of a short ASCII string; null for anything else. */
function prefixedAscii(text: string): Uint8Array | null {
  const length = text.length;
  if (length > MAX_ASCII_FAST) return null;
  // The zig-zag varint of a length up to 128: one byte below 64, two from 64 on.
  const zigzag = length * 2;
  const prefix = zigzag < 0x80 ? [zigzag] : [(zigzag & 0x7f) | 0x80, zigzag >>> 7];
  const bytes = new Uint8Array(prefix.length + length);
  bytes.set(prefix);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return null;
    bytes[prefix.length + i] = code;
  }
  return bytes;
}

const keptAscii = boundedMemo(prefixedAscii);

/** The kept bytes of a header value that repeats per topic, if it is short ASCII. */
function keptValue(name: string, value: unknown): Uint8Array | null {
  return typeof value === "string" && REPEATED_VALUE_HEADERS.has(name) ? keptAscii(value) : null;
}

function writePrefixed(encoder: { buf: Uint8Array; offset: number } & Any, bytes: Uint8Array): void {
  // The buffer was sized with these exact bytes (sizeOfHeaders).
  encoder.buf.set(bytes, encoder.offset);
  encoder.offset += bytes.length;
}

// kafkajs does not export its sizeOfHeaders; this is the same arithmetic on the same Encoder statics.
function sizeOfHeaders(Encoder: Any, headers: readonly HeaderPair[]): number {
  let size = Encoder.sizeOfVarInt(headers.length);
  for (const [name, value] of headers) {
    const nameBytes = keptAscii(name);
    if (nameBytes !== null) size += nameBytes.length;
    else {
      const nameSize = utf8Length(name);
      size += Encoder.sizeOfVarInt(nameSize) + nameSize;
    }
    const valueBytes = keptValue(name, value);
    if (valueBytes !== null) size += valueBytes.length;
    else if (value === null) size += Encoder.sizeOfVarInt(-1);
    else {
      const valueSize = typeof value === "string"
        ? utf8Length(value)
        : Buffer.byteLength(value as Uint8Array);
      size += Encoder.sizeOfVarInt(valueSize) + valueSize;
    }
  }
  return size;
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
  const crcPath = require.resolve(CRC_MODULE);
  require(recordPath);
  require(crcPath);
  const cached = require.cache[recordPath];
  const crc = require.cache[crcPath];
  if (!cached || !crc) {
    return { patched: false, reason: "kafkajs' record modules are not in the require cache" };
  }
  const Encoder = require("./src/protocol/encoder.js");
  cached.exports = leanRecord(Encoder);
  // kafkajs' index.js returns the checksum as an unsigned 32-bit number; so does this.
  crc.exports = (buffer: Uint8Array) => CRC32C.buf(buffer) >>> 0;
  return { patched: true };
}

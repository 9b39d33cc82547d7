/**
 * A speed patch for kafkajs 2.2.4's protocol `Encoder`, on Deno.
 *
 * Why: under load a quarter of the gateway's CPU went to Deno's `node:buffer` emulation inside this class:
 * `writeUVarInt` and `writeVarLong` build a `Buffer.from([...])` for every varint (about 18 per CloudEvent
 * record), every `Buffer` (a `Uint8Array` subclass) costs a slow constructor on Deno, and `buffer.copy`
 * and the `buffer` getter's `slice` add more. The patched methods write the same bytes straight into the
 * encoder's buffer; each keeps kafkajs' own code for anything outside its fast path.
 *
 * Fail safe: it patches only kafkajs 2.2.4, and only if every method it replaces still has the source text
 * it was written against (a rebuilt or different kafkajs leaves the class untouched, at the old speed).
 * Tied to kafkajs 2.2.4: re-check the replaced methods (src/protocol/encoder.js) before moving the pin.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { installLeanRecord } from "./kafkajs_record.ts";

/** The kafkajs version whose encoder this patch was written against. */
export const PATCHED_KAFKAJS_VERSION = "2.2.4";

// deno-lint-ignore no-explicit-any
type Fn = (this: any, ...args: any[]) => any;
// deno-lint-ignore no-explicit-any
type Members = Record<string, any>;

/** The members this module replaces, and a fragment of kafkajs' source each must still contain. */
const EXPECTED: Readonly<Record<string, string>> = {
  writeUVarInt: "this.writeBufferInternal(Buffer.from(byteArray))",
  writeVarLong: "Encoder.encodeZigZag64(value)",
  writeBufferInternal: "buffer.copy(this.buf, this.offset, 0)",
  writeEncoder: "this.writeBufferInternal(value.buffer)",
  writeEncoderArray: "this.writeBufferInternal(v.buffer)",
  size: "return this.offset",
  "get buffer": "return this.buf.slice(0, this.offset)",
  "static sizeOfVarLong": "Encoder.encodeZigZag64(value)",
  "static sizeOfVarIntBytes": "Buffer.byteLength(value)",
};

/**
 * Encoders at least this big are linked into the encoder they are written to instead of copied. A Produce
 * request nests its record batches seven encoders deep (batch body, batch, batch with offset, partition,
 * topic, request, size-prefixed request), and kafkajs copied every byte into a new, zero-filled buffer at
 * each level; linked, the records are copied twice: into the batch body (whose CRC needs it contiguous) and
 * into the one buffer the `buffer` getter hands to the socket.
 */
const LINK_MIN = 4096;

/** Numbers whose zig-zag form fits in 31 bits encode the same as a varint and a varlong. */
const SMALL = 2 ** 30;

/** Bytes of a varint holding a non-negative 31-bit value. */
function uvarintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

// What kafkajs' Encoder looks like from here: its buffer and write position, plus the segments linked
// before `buf` once a big encoder was written to it (see LINK_MIN).
interface EncoderLike {
  buf: Uint8Array;
  offset: number;
  linked?: Uint8Array[];
  linkedBytes?: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderLike;
}

/** What {@link patchEncoder} did. */
export type PatchResult = { readonly patched: true } | { readonly patched: false; readonly reason: string };

function member(cls: Members, name: string): Fn | undefined {
  if (name.startsWith("get ")) {
    // Looked up the prototype chain: a subclass (in tests) inherits the getter.
    for (let o = cls.prototype; o; o = Object.getPrototypeOf(o)) {
      const d = Object.getOwnPropertyDescriptor(o, name.slice(4));
      if (d) return d.get as Fn | undefined;
    }
    return undefined;
  }
  const [owner, key] = name.startsWith("static ") ? [cls, name.slice(7)] : [cls.prototype, name];
  const f = owner?.[key];
  return typeof f === "function" ? f as Fn : undefined;
}

/**
 * Replaces the slow members of `Encoder` (kafkajs' class, or a subclass in tests) by fast ones that write
 * the same bytes, if every member still has the expected source; else changes nothing.
 */
export function patchEncoder(encoderClass: object): PatchResult {
  const Encoder = encoderClass as Members;
  for (const [name, fragment] of Object.entries(EXPECTED)) {
    const f = member(Encoder, name);
    if (f === undefined) return { patched: false, reason: `Encoder.${name} is missing` };
    if (!Function.prototype.toString.call(f).includes(fragment)) {
      return { patched: false, reason: `Encoder.${name} is not the code this patch was written against` };
    }
  }
  const proto = Encoder.prototype as Members;
  const original: Record<string, Fn> = {
    writeVarLong: proto.writeVarLong,
    sizeOfVarLong: Encoder.sizeOfVarLong,
    sizeOfVarIntBytes: Encoder.sizeOfVarIntBytes,
  };
  const isEncoder = (v: unknown): v is EncoderLike =>
    v != null && (v as EncoderLike).buf instanceof Uint8Array &&
    typeof (v as EncoderLike).offset === "number";

  Object.assign(proto, {
    // Same loop as kafkajs (including its handling of negative int32 input), minus the array and Buffer.
    writeUVarInt(this: EncoderLike, value: number) {
      this.ensureAvailable(5);
      const buf = this.buf;
      let o = this.offset;
      while ((value & 0xffffff80) !== 0) {
        buf[o++] = (value & 0x7f) | 0x80;
        value >>>= 7;
      }
      buf[o++] = value & 0x7f;
      this.offset = o;
      return this;
    },
    // Record timestamp deltas are small numbers; anything else (Long, string, big values) goes to kafkajs.
    writeVarLong(this: EncoderLike, value: unknown) {
      if (typeof value === "number" && Number.isInteger(value) && value >= -SMALL && value < SMALL) {
        return this.writeUVarInt((value << 1) ^ (value >> 31));
      }
      return original.writeVarLong.call(this, value);
    },
    // Uint8Array#set is native; Buffer#copy goes through the node:buffer emulation.
    writeBufferInternal(this: EncoderLike, buffer: Uint8Array) {
      const length = buffer.length;
      this.ensureAvailable(length);
      this.buf.set(buffer, this.offset);
      this.offset += length;
    },
    // Copies a small encoder's written part without the `buffer` getter's Buffer slice; links a big one.
    writeEncoder(this: EncoderLike, value: unknown) {
      if (!isEncoder(value)) throw new Error("value should be an instance of Encoder");
      appendEncoder(this, value);
      return this;
    },
    writeEncoderArray(this: EncoderLike, value: unknown) {
      if (!Array.isArray(value) || !value.every(isEncoder)) {
        throw new Error("all values should be an instance of Encoder[]");
      }
      // One growth for the copied part of the whole array (a Produce request's records): growing record by
      // record allocated and zero-filled every power of two on the way, each a new ArrayBuffer for the GC.
      let copied = 0;
      for (const v of value) if (sizeOf(v) < LINK_MIN) copied += v.offset;
      this.ensureAvailable(copied);
      for (const v of value) appendEncoder(this, v);
      return this;
    },
    size(this: EncoderLike) {
      return sizeOf(this);
    },
  });
  const originalBuffer = member(Encoder, "get buffer")!;
  Object.defineProperty(proto, "buffer", {
    configurable: true,
    get(this: EncoderLike & { buf: Buffer }) {
      return this.linked ? joinLinks(this) : originalBuffer.call(this);
    },
  });
  Object.assign(Encoder, {
    sizeOfVarLong(value: unknown): number {
      if (typeof value === "number" && Number.isInteger(value) && value >= -SMALL && value < SMALL) {
        return uvarintSize(((value << 1) ^ (value >> 31)) >>> 0);
      }
      return original.sizeOfVarLong.call(Encoder, value);
    },
    // A Buffer's byte length is its length; strings and null keep kafkajs' path.
    sizeOfVarIntBytes(value: unknown): number {
      if (value instanceof Uint8Array && value.length < SMALL) {
        return uvarintSize(value.length * 2) + value.length;
      }
      return original.sizeOfVarIntBytes.call(Encoder, value);
    },
  });
  return { patched: true };
}

function sizeOf(e: EncoderLike): number {
  return (e.linkedBytes ?? 0) + e.offset;
}

/** Writes `from` into `to`: copied when small, else linked (see LINK_MIN); `from` must not change after. */
function appendEncoder(to: EncoderLike, from: EncoderLike): void {
  const size = sizeOf(from);
  // An encoder with links is at least LINK_MIN big, so one copied here is always a single buffer.
  if (size < LINK_MIN) return copyEncoder(to, from);
  const links = to.linked ??= [];
  if (to.offset > 0) {
    links.push(to.buf.subarray(0, to.offset));
    to.linkedBytes = (to.linkedBytes ?? 0) + to.offset;
    // Later writes go to the rest of the same buffer, which must stay a Buffer for kafkajs' write methods.
    to.buf = Buffer.from(to.buf.buffer, to.buf.byteOffset + to.offset, to.buf.length - to.offset);
    to.offset = 0;
  }
  if (from.linked) links.push(...from.linked);
  if (from.offset > 0) links.push(from.buf.subarray(0, from.offset));
  to.linkedBytes = (to.linkedBytes ?? 0) + size;
}

/** kafkajs' `buffer` getter for an encoder with links: one copy, kept, so a second read copies nothing. */
function joinLinks(e: EncoderLike & { buf: Buffer }): Buffer {
  const out = Buffer.allocUnsafe(sizeOf(e));
  let at = 0;
  for (const part of e.linked!) {
    out.set(part, at);
    at += part.length;
  }
  out.set(e.buf.subarray(0, e.offset), at);
  e.buf = out;
  e.offset = out.length;
  e.linked = undefined;
  e.linkedBytes = 0;
  return out;
}

function copyEncoder(to: EncoderLike, from: EncoderLike): void {
  const length = from.offset;
  to.ensureAvailable(length);
  to.buf.set(new Uint8Array(from.buf.buffer, from.buf.byteOffset, length), to.offset);
  to.offset += length;
}

let installed: PatchResult | undefined;

/**
 * Patches the Encoder kafkajs itself uses and installs the lean record encoder (kafkajs_record.ts), once per
 * process; see the module comments.
 */
export function installKafkajsEncoderPatch(): PatchResult {
  if (installed) return installed;
  try {
    const require = createRequire(import.meta.resolve("kafkajs"));
    const version = require("./package.json").version;
    if (version !== PATCHED_KAFKAJS_VERSION) {
      installed = {
        patched: false,
        reason: `kafkajs is ${version}, the patch is for ${PATCHED_KAFKAJS_VERSION}`,
      };
    } else {
      const encoder = patchEncoder(require("./src/protocol/encoder.js"));
      // The lean Record only pays off with the patched varint and copy methods it calls.
      installed = encoder.patched ? installLeanRecord(require) : encoder;
    }
  } catch (err) {
    installed = { patched: false, reason: `kafkajs' encoder could not be loaded: ${err}` };
  }
  return installed;
}

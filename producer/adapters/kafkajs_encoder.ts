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
  "static sizeOfVarLong": "Encoder.encodeZigZag64(value)",
  "static sizeOfVarIntBytes": "Buffer.byteLength(value)",
};

/** Numbers whose zig-zag form fits in 31 bits encode the same as a varint and a varlong. */
const SMALL = 2 ** 30;

/** Bytes of a varint holding a non-negative 31-bit value. */
function uvarintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

// What kafkajs' Encoder looks like from here: its buffer and write position.
interface EncoderLike {
  buf: Uint8Array;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderLike;
}

/** What {@link patchEncoder} did. */
export type PatchResult = { readonly patched: true } | { readonly patched: false; readonly reason: string };

function member(cls: Members, name: string): Fn | undefined {
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
    // Copies the written part of another encoder without the `buffer` getter's Buffer slice.
    writeEncoder(this: EncoderLike, value: unknown) {
      if (!isEncoder(value)) throw new Error("value should be an instance of Encoder");
      copyEncoder(this, value);
      return this;
    },
    writeEncoderArray(this: EncoderLike, value: unknown) {
      if (!Array.isArray(value) || !value.every(isEncoder)) {
        throw new Error("all values should be an instance of Encoder[]");
      }
      // One growth for the whole array (a Produce request's records): growing record by record allocated
      // and zero-filled every power of two on the way, each a new ArrayBuffer for the GC.
      let total = 0;
      for (const v of value) total += v.offset;
      this.ensureAvailable(total);
      for (const v of value) copyEncoder(this, v);
      return this;
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

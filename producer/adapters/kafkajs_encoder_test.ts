/**
 * The kafkajs encoder patch writes exactly the bytes kafkajs writes, and refuses code it does not know.
 * Each test patches a fresh subclass of a pristine copy of kafkajs' Encoder, and compares it with another
 * subclass that keeps kafkajs' code, so no test depends on whether the process' Encoder is patched yet.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { installKafkajsEncoderPatch, patchEncoder } from "./kafkajs_encoder.ts";

const require = createRequire(import.meta.resolve("kafkajs"));
const Encoder = require("./src/protocol/encoder.js");
const Long = require("./src/utils/long.js");

/**
 * Evaluates one of kafkajs' files afresh, its `require`s of other kafkajs files answered by `local`
 * (by path suffix) before kafkajs' own: a copy that no patch of the loaded modules reaches.
 */
function pristine(path: string, local: Record<string, unknown> = {}) {
  const file = require.resolve(path);
  const own = createRequire(file);
  const module = { exports: {} as unknown };
  const req = (id: string) => {
    const hit = Object.entries(local).find(([suffix]) => id.endsWith(suffix));
    return hit ? hit[1] : own(id);
  };
  new Function("require", "module", "exports", "Buffer", Deno.readTextFileSync(file))(
    req,
    module,
    module.exports,
    Buffer,
  );
  // deno-lint-ignore no-explicit-any
  return module.exports as any;
}

/** kafkajs' Encoder with kafkajs' code, whatever was patched in this process. */
const KafkajsEncoder = pristine("./src/protocol/encoder.js");

function kafkajsEncoder() {
  return class extends KafkajsEncoder {};
}

function patched() {
  const cls = class extends KafkajsEncoder {};
  // Subclass static and prototype members start as inherited: patchEncoder reads them there.
  const result = patchEncoder(cls);
  assert.deepEqual(result, { patched: true });
  return cls;
}

const INTS = [
  0,
  1,
  -1,
  63,
  -64,
  64,
  127,
  128,
  255,
  300,
  16383,
  16384,
  2 ** 20,
  2 ** 28,
  2 ** 30 - 1,
  -(2 ** 30),
];
const EDGE = [2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER];

Deno.test("patched varints and varlongs are kafkajs' bytes, inside and outside the fast path", () => {
  const P = patched();
  const K = kafkajsEncoder();
  for (const v of [...INTS, ...EDGE.filter((x) => Math.abs(x) < 2 ** 31)]) {
    assert.deepEqual(new P().writeVarInt(v).buffer, new K().writeVarInt(v).buffer, `varint ${v}`);
    assert.deepEqual(new P().writeUVarInt(v).buffer, new K().writeUVarInt(v).buffer, `uvarint ${v}`);
  }
  for (const v of [...INTS, ...EDGE, Long.fromString("-9223372036854775808"), "12345678901"]) {
    assert.deepEqual(new P().writeVarLong(v).buffer, new K().writeVarLong(v).buffer, `varlong ${v}`);
    assert.equal(P.sizeOfVarLong(v), K.sizeOfVarLong(v), `sizeOfVarLong ${v}`);
  }
});

Deno.test("patched byte sizes, buffer copies and encoder copies match kafkajs", () => {
  const P = patched();
  const K = kafkajsEncoder();
  for (const v of [null, "", "héllo", Buffer.alloc(0), Buffer.from("abc"), Buffer.alloc(70_000, 7)]) {
    assert.equal(P.sizeOfVarIntBytes(v), K.sizeOfVarIntBytes(v), `sizeOfVarIntBytes ${v?.length}`);
  }
  // Enough writes to make both encoders grow past their initial 512 bytes, through every patched member.
  const write = (E: typeof Encoder) => {
    const inner = [1, 2, 3].map((i) =>
      new E().writeVarIntString(`h${i}`).writeVarIntBytes(Buffer.alloc(300, i))
    );
    return new E().writeInt8(1).writeVarLong(-5).writeEncoder(inner[0]).writeEncoderArray(inner)
      .writeVarIntBytes(Buffer.from("value")).writeBuffer(Buffer.alloc(1000, 9)).writeUVarInt(2 ** 31 - 1);
  };
  const [p, k] = [write(P), write(K)];
  assert.equal(p.size(), k.size());
  assert.deepEqual(p.buffer, k.buffer);
  assert.throws(() => new P().writeEncoder(null), /instance of Encoder/);
  assert.throws(() => new P().writeEncoderArray([{}]), /instance of Encoder/);
});

Deno.test("encoders of 4 KiB and more are linked, not copied, and read back as kafkajs' bytes", () => {
  const P = patched();
  const K = kafkajsEncoder();
  // Around the link threshold, nested as a Produce request nests its batches, with writes after a link.
  const build = (E: typeof Encoder) => {
    const leaf = (n: number, fill: number) => new E().writeInt32(n).writeBuffer(Buffer.alloc(n, fill));
    const mid = new E().writeInt16(7).writeEncoder(leaf(4091, 1)).writeInt8(-1).writeEncoder(leaf(4092, 2))
      .writeEncoderArray([leaf(10, 3), leaf(5000, 4), leaf(20, 5)]).writeString("after a link");
    return new E().writeInt32(mid.size()).writeEncoder(mid).writeArray([leaf(3, 6), mid, leaf(6000, 7)]);
  };
  const [p, k] = [build(P), build(K)];
  assert.ok(p.linked && p.linked.length > 3, "the big encoders were linked");
  assert.equal(p.size(), k.size());
  const first = p.buffer;
  assert.deepEqual(first, k.buffer);
  assert.equal(p.linked, undefined, "joined once");
  assert.equal(p.buffer.length, first.length);
  assert.deepEqual(p.buffer, first, "a second read gives the same bytes");
  // Writing on after the join grows the joined buffer as kafkajs would.
  assert.deepEqual(p.writeInt32(42).buffer, k.writeInt32(42).buffer);
});

Deno.test("the patch leaves a class it does not recognise untouched", () => {
  const cls = class extends KafkajsEncoder {
    writeUVarInt(value: number) {
      return super.writeUVarInt(value); // not kafkajs' source
    }
  };
  const before = cls.prototype.writeVarLong;
  const result = patchEncoder(cls);
  assert.equal(result.patched, false);
  assert.match(!result.patched ? result.reason : "", /writeUVarInt is not the code/);
  assert.equal(cls.prototype.writeVarLong, before, "nothing replaced");
  assert.ok(!Object.hasOwn(cls.prototype, "writeVarLong"));
});

Deno.test("installKafkajsEncoderPatch patches the Encoder kafkajs' record encoder uses, byte for byte", () => {
  assert.deepEqual(installKafkajsEncoderPatch(), { patched: true });
  assert.equal(installKafkajsEncoderPatch(), installKafkajsEncoderPatch(), "once per process");
  assert.ok(Object.hasOwn(Encoder.prototype, "writeUVarInt"), "kafkajs' own Encoder is patched");
  const Record = require("./src/protocol/recordBatch/record/v0/index.js");
  const Header = pristine("./src/protocol/recordBatch/header/v0/index.js", { "/encoder": KafkajsEncoder });
  const KafkajsRecord = pristine("./src/protocol/recordBatch/record/v0/index.js", {
    "/encoder": KafkajsEncoder,
    "/header/v0": Header,
  });
  const records = [
    { offsetDelta: 0, timestampDelta: 0, key: null, value: null },
    {
      offsetDelta: 300,
      timestampDelta: 70_000,
      key: Buffer.from("a-key"),
      value: Buffer.alloc(600, 1),
      headers: { ce_id: "é", ce_source: Buffer.from("/topics/t"), multi: ["1", Buffer.from("2")] },
    },
    { offsetDelta: 2, timestampDelta: -(2 ** 40), key: Buffer.from(""), value: Buffer.from("v") },
  ];
  for (const r of records) {
    const [got, want] = [Record(r), KafkajsRecord(r)];
    assert.ok(got instanceof Encoder && !(got instanceof KafkajsEncoder));
    assert.deepEqual(got.buffer, want.buffer);
  }
  // The lean record encoder is the one installed: small records share node:buffer's pool.
  const small = Record(records[0]);
  assert.ok(small.buf.buffer.byteLength > small.buf.length, "a pooled buffer, not one of its own");
  assert.ok(small.buf.length <= small.offset + 4, "sized for the record, never grown");
});

Deno.test("kafkajs' own Produce request, built with the lean records, has kafkajs' bytes", async () => {
  installKafkajsEncoderPatch();
  const request = require("./src/protocol/requests/produce/v3/request.js");
  const Header = pristine("./src/protocol/recordBatch/header/v0/index.js", { "/encoder": KafkajsEncoder });
  const KafkajsRecord = pristine("./src/protocol/recordBatch/record/v0/index.js", {
    "/encoder": KafkajsEncoder,
    "/header/v0": Header,
  });
  const kafkajsRequest = pristine("./src/protocol/requests/produce/v3/request.js", {
    "/encoder": KafkajsEncoder,
    "/record/v0": KafkajsRecord,
  });
  const messages = Array.from({ length: 40 }, (_, i) => ({
    key: i === 5 ? null : Buffer.from(`key-${i}`),
    value: Buffer.from(JSON.stringify({ i, text: "x".repeat(i * 13) })),
    timestamp: 1_700_000_000_000 + i,
    // ASCII strings (written by the lean record itself), non-ASCII and long ones (kafkajs' way), bytes.
    headers: {
      ce_id: `id-${i}`,
      ce_type: Buffer.from("t"),
      multi: ["a", Buffer.from("é")],
      "clé": "välue",
      long: "x".repeat(100 + i * 3),
      // Names, and values of headers that repeat per topic, that the lean record keeps encoded: lengths across
      // the one/two-byte varint (64) and fast-path (128) boundaries, and a non-ASCII one.
      ce_source: i === 7 ? "/ünï" : "s".repeat(i * 4),
      "content-type": "application/json",
      ["n".repeat(60 + i * 2)]: "v",
    },
  }));
  const args = {
    acks: -1,
    timeout: 1000,
    compression: 0,
    topicData: [{ topic: "t", partitions: [{ partition: 3, firstSequence: 7, messages }] }],
    producerId: 1,
    producerEpoch: 0,
  };
  const [got, want] = await Promise.all([request(args).encode(), kafkajsRequest(args).encode()]);
  assert.deepEqual(got.buffer, want.buffer);

  // What the gateway's adapter hands over once the lean record is installed: plain Uint8Arrays (views into
  // a larger buffer, as request bodies are) and [name, value] header pairs, in kafkajs' flattening order.
  const plain = (b: Buffer) => {
    const backing = new Uint8Array(b.length + 8);
    backing.set(b, 3);
    return backing.subarray(3, 3 + b.length);
  };
  const lean = messages.map((m) => ({
    key: m.key === null ? null : plain(m.key),
    value: plain(m.value),
    timestamp: m.timestamp,
    headers: Object.entries(m.headers).flatMap(([name, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) => [name, Buffer.isBuffer(x) ? plain(x) : x])
    ),
  }));
  const leanArgs = {
    ...args,
    topicData: [{ topic: "t", partitions: [{ partition: 3, firstSequence: 7, messages: lean }] }],
  };
  assert.deepEqual((await request(leanArgs).encode()).buffer, want.buffer);

  // A gateway round: two topics, several partitions of record batches past the link threshold, wrapped in
  // the size-prefixed request kafkajs writes to the socket.
  const wrap = require("./src/protocol/request.js");
  const kafkajsWrap = pristine("./src/protocol/request.js", { "/encoder": KafkajsEncoder });
  const round = {
    ...args,
    topicData: ["a", "b"].map((topic, t) => ({
      topic,
      partitions: [0, 1, 2].map((partition) => ({
        partition,
        firstSequence: 100 * t + partition,
        messages: t === 1 && partition === 1 ? messages.slice(0, 2) : [...messages, ...messages],
      })),
    })),
  };
  const wrapped = (f: typeof wrap, r: typeof request) =>
    f({ correlationId: 9, clientId: "gw", request: r(round) });
  const [gotRound, wantRound] = await Promise.all([
    wrapped(wrap, request),
    wrapped(kafkajsWrap, kafkajsRequest),
  ]);
  assert.ok(gotRound.linked, "the round's batches were linked");
  assert.equal(gotRound.size(), wantRound.size());
  assert.deepEqual(gotRound.buffer, wantRound.buffer);
});

Deno.test("the installed record-batch CRC-32C gives kafkajs' checksums", () => {
  installKafkajsEncoderPatch();
  const installed = require("./src/protocol/recordBatch/crc32C/index.js");
  const kafkajs = pristine("./src/protocol/recordBatch/crc32C/index.js");
  assert.notEqual(installed, kafkajs);
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (const length of [0, 1, 3, 15, 16, 17, 255, 1000, 4099]) {
    const buffer = Buffer.from(Array.from({ length: length + 5 }, random));
    // Views at odd offsets too: record batches are slices of a larger request buffer.
    for (const view of [buffer.subarray(0, length), buffer.subarray(5)]) {
      assert.equal(installed(view), kafkajs(view), `length ${view.length}`);
    }
  }
});

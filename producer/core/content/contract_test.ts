/**
 * The contract every decoder keeps, checked against all of them with the same hostile inputs.
 */
import assert from "node:assert/strict";
import type { Decoder, DecodeResult } from "../types.ts";
import { decoders } from "./select.ts";
import { bytes, events, problem, testContext } from "./test_util.ts";
import type { ContextOptions } from "./test_util.ts";

interface Fixture {
  /** Request headers the decoder needs besides the body (binary mode's ce-*). */
  readonly headers?: Record<string, string>;
  /** A valid body with `n` events; decoders that take one event per request ignore `n`. */
  readonly body: (n: number) => string;
  readonly batch: boolean;
  /** Nesting depth of the fixture body. */
  readonly depth: number;
}

const payload = (i: number) => `{"user":"u${i}","n":${i},"big":12345678901234567891}`;
const cloudEvent = (i: number) =>
  `{"specversion":"1.0","id":"e${i}","source":"/s","type":"t","time":"2024-05-01T12:00:00Z","data":${
    payload(i)
  }}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const fixtures: Record<string, Fixture> = {
  "application/json": { body: (n) => `[${range(n).map(payload).join(",")}]`, batch: true, depth: 2 },
  "application/x-ndjson": { body: (n) => range(n).map(payload).join("\n") + "\n", batch: true, depth: 1 },
  "application/cloudevents+json": { body: () => cloudEvent(0), batch: false, depth: 2 },
  "application/cloudevents-batch+json": {
    body: (n) => `[${range(n).map(cloudEvent).join(",")}]`,
    batch: true,
    depth: 3,
  },
  "binary-mode": {
    headers: {
      "ce-specversion": "1.0",
      "ce-id": "b1",
      "ce-source": "/s",
      "ce-type": "t",
      "content-type": "application/json",
    },
    body: () => payload(0),
    batch: false,
    depth: 1,
  },
  "application/vnd.kafka.json.v2+json": {
    body: (n) => `{"records":[${range(n).map((i) => `{"key":"k${i}","value":${payload(i)}}`).join(",")}]}`,
    batch: true,
    depth: 4,
  },
  "application/vnd.kafka.binary.v2+json": {
    body: (n) =>
      `{"records":[${range(n).map((i) => `{"key":"azA=","value":"${btoa(payload(i))}"}`).join(",")}]}`,
    batch: true,
    depth: 3,
  },
  "application/vnd.kafka.text.v2+json": {
    body: (n) =>
      `{"records":[${
        range(n).map((i) => `{"key":"k${i}","value":${JSON.stringify(payload(i))}}`).join(",")
      }]}`,
    batch: true,
    depth: 3,
  },
};

function fixtureOf(decoder: Decoder): Fixture {
  return fixtures[decoder.mediaTypes[0] ?? "binary-mode"];
}

function nameOf(decoder: Decoder): string {
  return decoder.mediaTypes[0] ?? "CloudEvents binary mode";
}

function decode(decoder: Decoder, body: Uint8Array, options: ContextOptions = {}): DecodeResult {
  const fixture = fixtureOf(decoder);
  return decoder.decode(
    body,
    testContext({ ...options, headers: { ...fixture.headers, ...options.headers as object } }),
  );
}

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "unprocessable_entity",
};

function assertWellFormed(result: DecodeResult, input: string): void {
  if (result.ok) {
    for (const event of result.events) {
      assert.equal(typeof event.id, "string", input);
      assert.notEqual(event.id, "", input);
    }
    return;
  }
  const { status, code, message, details } = result.problem;
  assert.equal(STATUS_CODES[status], code, `status ${status} with code ${code} for ${input}`);
  assert.ok(
    typeof message === "string" && message.length > 0 && message.length < 600,
    `message for ${input}`,
  );
  assert.doesNotThrow(() => JSON.stringify(details), input);
}

function seeded(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function hostileBodies(fixture: Fixture): [string, Uint8Array][] {
  const valid = fixture.body(3);
  const out: [string, Uint8Array][] = [];
  const add = (label: string, body: string | Uint8Array) =>
    out.push([label, typeof body === "string" ? bytes(body) : body]);
  for (let cut = 0; cut < valid.length; cut++) add(`truncated at ${cut}`, valid.slice(0, cut));
  const random = seeded(1234);
  for (let n = 0; n < 200; n++) {
    add(
      `random bytes #${n}`,
      Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)),
    );
  }
  const alphabet = '{}[]":,0123456789.-eE truefalsnul\\u\n';
  for (let n = 0; n < 300; n++) {
    const mutated = [...valid];
    for (let k = 0; k < 3; k++) {
      mutated[Math.floor(random() * mutated.length)] = alphabet[Math.floor(random() * alphabet.length)];
    }
    add(`mutation #${n}`, mutated.join(""));
  }
  const deep = 100_000;
  for (
    const body of [
      "",
      " ",
      "\n\n",
      "null",
      "[]",
      "{}",
      '""',
      "[null]",
      "[[]]",
      '{"records":null}',
      '{"records":[null]}',
      '{"records":[{}]}',
      '{"records":[{"value":null,"key":{},"headers":[{"key":"","value":"!"}],"partition":-1}]}',
      '{"records":[{"value":"x","headers":{"__proto__":1}}]}',
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      '[{"__proto__": {"x": 1}}, {"constructor": "c"}]',
      '{"specversion":"1.0","id":"1","source":"/s","type":"t","__proto__":"x","constructor":"y"}',
      '{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"!!!"}',
      '{"specversion":"1.0","id":"1","source":"/s","type":"t","data":1,"data_base64":"AA=="}',
      '{"specversion":"2.0","id":"","time":"yesterday","Bad-Name":1,"ext":{"a":1}}',
      "[".repeat(deep) + "]".repeat(deep),
      '{"a":'.repeat(deep) + "1" + "}".repeat(deep),
      "[".repeat(deep),
      '"\\ud800"',
      '["\\udc00"]',
      '{"k": "\\ud800\\u0041"}',
      "\ud800",
      "1e999999",
      "-",
      valid.replace(/"u1"/g, '"\\ud800"'),
      valid + valid,
      valid + "]",
    ]
  ) add(`literal ${JSON.stringify(body.slice(0, 40))}`, body);
  add("invalid UTF-8 in a string", new Uint8Array([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]));
  add("UTF-8-encoded surrogate", new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]));
  add("overlong encoding", new Uint8Array([0x22, 0xc0, 0xaf, 0x22]));
  add("BOM then valid body", new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(valid)]));
  return out;
}

for (const decoder of decoders) {
  const fixture = fixtureOf(decoder);
  const name = nameOf(decoder);

  Deno.test(`${name} decoder contract`, async (t) => {
    await t.step("decodes its valid fixture with an id on every event", () => {
      const decoded = events(decode(decoder, bytes(fixture.body(3))));
      assert.equal(decoded.length, fixture.batch ? 3 : 1);
      for (const event of decoded) {
        assert.match(event.id, /^.+$/);
        assert.ok(event.record.value instanceof Uint8Array && event.record.value.length > 0);
      }
    });

    await t.step("never throws and answers only 400/413/415/422 on hostile input", () => {
      for (const [label, body] of hostileBodies(fixture)) {
        let result: DecodeResult;
        try {
          result = decode(decoder, body, { limits: { maxDepth: 16 } });
        } catch (error) {
          throw new Error(`${name} threw on ${label}: ${error}`);
        }
        assertWellFormed(result, label);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype was polluted");
    });

    await t.step("rejects more than maxEvents events with 413", () => {
      const limit = fixture.batch ? 2 : 0;
      const result = problem(decode(decoder, bytes(fixture.body(3)), { limits: { maxEvents: limit } }));
      assert.equal(result.status, 413);
      assert.equal(result.code, "payload_too_large");
      assert.deepEqual(result.details, { maxEvents: limit });
      if (fixture.batch) {
        assert.equal(events(decode(decoder, bytes(fixture.body(2)), { limits: { maxEvents: 2 } })).length, 2);
      }
    });

    await t.step("rejects an event larger than maxEventBytes with 413 naming the event", () => {
      const decoded = events(decode(decoder, bytes(fixture.body(1))));
      const size = decoded[0].record.value!.length;
      const result = problem(
        decode(decoder, bytes(fixture.body(1)), { limits: { maxEventBytes: size - 1 } }),
      );
      assert.equal(result.status, 413);
      assert.deepEqual(result.details, { event: 0, bytes: size, maxEventBytes: size - 1 });
      events(decode(decoder, bytes(fixture.body(1)), { limits: { maxEventBytes: size } }));
    });

    await t.step("rejects nesting deeper than maxDepth with 400", () => {
      const maxDepth = fixture.depth - 1;
      const result = problem(decode(decoder, bytes(fixture.body(1)), { limits: { maxDepth } }));
      assert.equal(result.status, 400);
      assert.equal((result.details as { maxDepth: number }).maxDepth, maxDepth);
      events(decode(decoder, bytes(fixture.body(1)), { limits: { maxDepth: fixture.depth } }));
    });

    await t.step("produces identical output for identical input and context", () => {
      const body = bytes(fixture.body(3));
      assert.deepEqual(decode(decoder, body), decode(decoder, body));
    });
  });
}

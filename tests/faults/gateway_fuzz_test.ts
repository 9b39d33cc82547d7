/**
 * Abuse: ≥ 100 000 generated bad requests against the real gateway process (real Kafka behind it).
 * Whatever arrives, the gateway answers 4xx (never 5xx), stays up, keeps its memory bounded, and keeps
 * acknowledging valid requests in between.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { imageRuntime, startKafka } from "@kafka-edge/lib/testing";
import { generateApiKey, sha256Hex } from "../../producer/core/auth/mod.ts";
import { createTopics } from "../support/read_topic.ts";
import { spawnGateway } from "../support/gateway.ts";

const TOTAL = Number(Deno.env.get("FUZZ_REQUESTS") ?? 100_000);
const CONCURRENCY = 32;
const enc = new TextEncoder();

/** A request as the fuzzer sends it. */
interface BadRequest {
  readonly kind: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | (() => ReadableStream<Uint8Array>) | null;
}

const validPayload = fc.record({
  user: fc.string({ maxLength: 12 }),
  action: fc.constantFrom("login", "logout"),
});

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Compressed bodies: a zip bomb (~50 KB that inflates to 50 MB) and a valid gzip body to corrupt. */
const COMPRESSED = {
  bomb: await gzip(enc.encode(`"${"x".repeat(50_000_000)}"`)),
  valid: await gzip(enc.encode('[{"user":"a","action":"login"},{"user":"b","action":"logout"}]')),
};

function arbitraries(key: string) {
  const auth = { "x-api-key": key };
  const json = { ...auth, "content-type": "application/json" };
  const req = (kind: string, path: string, headers: Record<string, string>, body: BadRequest["body"]) => ({
    kind,
    path,
    headers,
    body,
  });
  const events = "/v1/topics/logs/events";
  // Megabyte-sized cases are 1 in 20, so the run stays about a minute long.
  const large = fc.oneof(
    // Oversized bodies, with Content-Length and streamed (chunked, no length).
    fc.integer({ min: 1_100_000, max: 1_500_000 }).map((n) =>
      req("oversized", events, json, enc.encode(`"${"x".repeat(n)}"`))
    ),
    // A zip bomb: small on the wire, past the limit once decoded.
    fc.constant(req("gzip-bomb", events, { ...json, "content-encoding": "gzip" }, COMPRESSED.bomb)),
    fc.integer({ min: 600, max: 2000 }).map((chunks) =>
      req("oversized-chunked", events, json, () =>
        new ReadableStream({
          start(c) {
            for (let i = 0; i < chunks; i++) c.enqueue(enc.encode(" ".repeat(1024)));
            c.close();
          },
        }))
    ),
  );
  const small = fc.oneof(
    // Truncated and mutated JSON.
    fc.tuple(fc.array(validPayload, { minLength: 1, maxLength: 5 }), fc.nat(), fc.string({ maxLength: 4 }))
      .map((
        [v, cut, junk],
      ) => {
        const text = JSON.stringify(v);
        const at = cut % text.length;
        return req("truncated-json", events, json, enc.encode(text.slice(0, at) + junk));
      }),
    // Arbitrary text and bytes as JSON.
    fc.string({ unit: "binary", maxLength: 200 }).map((s) => req("random-text", events, json, enc.encode(s))),
    fc.uint8Array({ maxLength: 300 }).map((b) => req("random-bytes", events, json, b)),
    // Compressed bodies that are cut short, have a flipped byte, or use a coding the gateway does not take.
    fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("gzip", "x-gzip", "deflate", "gzip, gzip")).map(
      ([cut, flip, coding]) => {
        const body = COMPRESSED.valid.slice(0, 1 + cut % COMPRESSED.valid.byteLength);
        body[flip % body.byteLength] ^= 0x5a;
        return req("bad-gzip", events, { ...json, "content-encoding": coding }, body);
      },
    ),
    fc.constantFrom("br", "zstd", "compress", "gzip, br", "*").map((coding) =>
      req("unknown-encoding", events, { ...json, "content-encoding": coding }, COMPRESSED.valid)
    ),
    // Deep nesting, from just over the limit to very deep.
    fc.integer({ min: 65, max: 5_000 }).map((d) =>
      req("deep", events, json, enc.encode("[".repeat(d) + "]".repeat(d)))
    ),
    // Invalid UTF-8 and lone surrogates.
    fc.constantFrom(
      new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      enc.encode('{"a":"\\ud800"}'),
      new Uint8Array([0xc3, 0x28]),
    ).map((b) => req("bad-utf8", events, json, b)),
    // Prototype keys, duplicate keys and huge numbers: valid JSON, must never break the gateway.
    fc.constantFrom(
      '{"__proto__":{"polluted":1},"user":"x"}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"user":"a","user":"b"}',
      '{"n":123456789012345678901234567890,"m":1e400}',
    ).map((t) => req("tricky-json", events, json, enc.encode(t))),
    // Wrong or missing content types and charsets.
    fc.tuple(
      fc.constantFrom(
        "text/plain",
        "application/xml",
        "application/json; charset=latin1",
        "",
        "application/",
        ";;;",
        "multipart/form-data; boundary=x",
      ),
      validPayload,
    ).map(([ct, v]) =>
      req("content-type", events, ct ? { ...auth, "content-type": ct } : auth, enc.encode(JSON.stringify(v)))
    ),
    // Too many events.
    fc.integer({ min: 1001, max: 3000 }).map((n) =>
      req("too-many", events, json, enc.encode(`[${"{},".repeat(n - 1)}{}]`))
    ),
    // Bad topic names.
    fc.oneof(
      fc.constantFrom("..%2F..%2Fetc", "%2E%2E", "", "a".repeat(300), "%E2%98%83", "logs%00", "LOGS"),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
    ).map((t) => req("topic", `/v1/topics/${t}/events`, json, enc.encode("{}"))),
    // Bad CloudEvents attributes (binary and structured).
    fc.record({
      specversion: fc.constantFrom("0.3", "", "1.0"),
      id: fc.constantFrom("", "x"),
      source: fc.constantFrom("", "/s"),
      type: fc.constantFrom("", "t"),
      time: fc.constantFrom("yesterday", "2026-13-45T99:99:99Z", "2026-11-25T10:00:00Z"),
      ext: fc.constantFrom("UPPER", "toolongextensionnameforcloudevents", "ok"),
    }).map((a) => {
      const event = {
        specversion: a.specversion,
        id: a.id,
        source: a.source,
        type: a.type,
        time: a.time,
        [a.ext]: "v",
      };
      return req(
        "cloudevents",
        events,
        { ...auth, "content-type": "application/cloudevents+json" },
        enc.encode(JSON.stringify(event)),
      );
    }),
    fc.constantFrom("", "2.0", "1.0").map((v) =>
      req("cloudevents-binary", events, {
        ...json,
        "ce-specversion": v,
        "ce-id": "",
        "ce-source": "/s",
        "ce-type": "",
      }, enc.encode("{}"))
    ),
    // Invalid Strimzi bridge records.
    fc.constantFrom(
      '{"records":[]}',
      '{"records":{}}',
      '{"records":[{"value":1,"partition":-1}]}',
      '{"records":[{"value":1,"partition":99999999999}]}',
      '{"records":[{"key":"k"}]}',
      '{"records":[{"value":1,"headers":[{"key":"h","value":"!!notbase64"}]}]}',
      '{"records":[{"value":1,"timestamp":5}]}',
      '{"rec":1}',
    ).map((t) =>
      req(
        "bridge",
        "/topics/logs",
        { ...auth, "content-type": "application/vnd.kafka.json.v2+json" },
        enc.encode(t),
      )
    ),
    // Small valid body sent chunked: must be handled like any other.
    validPayload.map((v) =>
      req("chunked", events, json, () =>
        new ReadableStream({
          start(c) {
            const t = enc.encode(JSON.stringify(v));
            c.enqueue(t.slice(0, 3));
            c.enqueue(t.slice(3));
            c.close();
          },
        }))
    ),
    // Header floods and bad credentials.
    fc.integer({ min: 50, max: 300 }).map((n) => {
      const h: Record<string, string> = { ...json };
      for (let i = 0; i < n; i++) h[`x-flood-${i}`] = "v".repeat(100);
      return req("header-flood", events, h, enc.encode("{}"));
    }),
    fc.constantFrom(
      "",
      "Bearer",
      "Bearer x",
      "Basic Zm9vOmJhcg==",
      `Bearer ${"a".repeat(10_000)}`,
      "Bearer e30.e30.",
    ).map((a) =>
      req("auth", events, { "content-type": "application/json", authorization: a }, enc.encode("{}"))
    ),
  );
  return fc.oneof({ weight: 19, arbitrary: small }, { weight: 1, arbitrary: large });
}

// The gateway runs as its image runs it (producer/Dockerfile): memory bounds only mean something then.
const IMAGE = await imageRuntime(new URL("../../producer/Dockerfile", import.meta.url));

function rssKb(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
}

Deno.test({
  name:
    `gateway fuzz: ${TOTAL} bad requests get only 4xx, the process stays up with bounded RSS, valid requests keep succeeding`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using k = await startKafka({ brokers: 1 });
    await createTopics(k.bootstrap, [{ topic: "logs", numPartitions: 3 }]);
    const key = generateApiKey();
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/keys.yaml`,
      `keys:\n  - id: fuzz\n    sha256: ${await sha256Hex(key)}\n    topics: "*"\n`,
    );
    await Deno.writeTextFile(
      `${dir}/topics.yaml`,
      "topics:\n  logs:\n    schema:\n      type: object\n      properties:\n        user: { type: string }\n",
    );
    await using gw = await spawnGateway({
      KAFKA_BROKERS: k.bootstrap,
      TOPICS_FILE: `${dir}/topics.yaml`,
      AUTH_METHODS: "api-key",
      DEV_MODE: "false",
      API_KEYS_FILE: `${dir}/keys.yaml`,
      RATE_LIMIT_PER_SECOND: "1000000",
      RATE_LIMIT_BURST: "1000000",
      ...IMAGE.env,
    }, { v8Flags: Deno.env.get("FUZZ_GATEWAY_V8_FLAGS") ?? IMAGE.v8Flags });
    const pid = gw.child.pid;
    const samples = fc.sample(arbitraries(key), { numRuns: TOTAL, seed: 20261125 });
    const byStatus = new Map<string, number>();
    const fiveXx: string[] = [];
    let validOk = 0;
    let validFailed = 0;
    let maxRss = 0;
    let next = 0;
    const started = Date.now();
    const deadline = started + 15 * 60_000;

    async function sendValid(): Promise<void> {
      const res = await fetch(`${gw.url}/v1/topics/logs/events`, {
        method: "POST",
        headers: { "x-api-key": key, "content-type": "application/json" },
        body: '{"user":"keita","action":"login"}',
      });
      await res.body?.cancel();
      if (res.status === 200) validOk++;
      else validFailed++;
    }

    async function worker(): Promise<void> {
      while (next < samples.length && Date.now() < deadline) {
        const i = next++;
        if (i % 1000 === 0) {
          await sendValid();
          maxRss = Math.max(maxRss, rssKb(pid));
        }
        const s = samples[i];
        const body = typeof s.body === "function" ? s.body() : s.body;
        let status: string;
        try {
          const res = await fetch(`${gw.url}${s.path}`, {
            method: "POST",
            headers: s.headers,
            body: body as BodyInit | null,
          });
          await res.body?.cancel();
          status = String(res.status);
          if (res.status >= 500) {
            fiveXx.push(`${s.kind} ${s.path} ${JSON.stringify(s.headers).slice(0, 200)}`);
          }
        } catch (err) {
          // The server may refuse a request outright at the HTTP layer (e.g. a header flood).
          status = `transport:${(err as Error).name}`;
        }
        const key = `${s.kind} ${status}`;
        byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
      }
    }
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await sendValid();
    maxRss = Math.max(maxRss, rssKb(pid));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `fuzz: ${next} requests in ${seconds.toFixed(1)} s, max RSS ${(maxRss / 1024).toFixed(0)} MiB, ` +
        `valid ok ${validOk}/${validOk + validFailed}\n${
          JSON.stringify(Object.fromEntries([...byStatus].sort()), null, 1)
        }`,
    );
    assert.ok(next >= TOTAL, `all ${TOTAL} requests were sent (sent ${next})`);
    assert.deepEqual(fiveXx.slice(0, 10), [], `no 5xx (${fiveXx.length} in total)`);
    for (const [k] of byStatus) {
      const status = k.split(" ").at(-1)!;
      assert.ok(
        /^4\d\d$/.test(status) || status === "200" || status.startsWith("transport:"),
        `unexpected outcome ${k}`,
      );
    }
    assert.equal(validFailed, 0, "valid requests keep succeeding during the run");
    assert.ok(maxRss < 512 * 1024, `RSS stays bounded (max ${maxRss} KiB)`);
    assert.equal(await fetch(`${gw.url}/healthz`).then(async (r) => (await r.body?.cancel(), r.status)), 200);
  },
});

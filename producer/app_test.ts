/**
 * Every status the gateway answers with, in-process (`app.request`), with the real decoders, auth, rate
 * limiter and batcher, and an in-memory Kafka behind the two ports.
 */
import assert from "node:assert/strict";
import { createLogger, parseConfig } from "@kafka-edge/lib";
import { producerConfigSpec } from "./config.ts";
import { createGateway, type KafkaSide } from "./gateway.ts";
import { generateApiKey, sha256Hex } from "./core/auth/mod.ts";
import { ProduceError } from "./core/ports.ts";
import type { BatchResult, PartitionBatch } from "./core/ports.ts";

type Mode = "ok" | "down" | "hang" | "fail-partition-1";

function fakeKafka(partitions = 3) {
  const sent: PartitionBatch[] = [];
  const offsets = new Map<string, bigint>();
  const state = { mode: "ok" as Mode, healthy: true };
  const side: KafkaSide = {
    sender: {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      sendMany(batches) {
        if (state.mode === "hang") return new Promise(() => {});
        if (state.mode === "down") {
          return Promise.reject(new ProduceError("kafka_unavailable", "broker down", true));
        }
        return Promise.resolve(batches.map((batch): BatchResult => {
          if (state.mode === "fail-partition-1" && batch.partition === 1) {
            return { ok: false, error: new ProduceError("kafka_unavailable", "broker down", true) };
          }
          sent.push(batch);
          const key = `${batch.topic}/${batch.partition}`;
          const base = offsets.get(key) ?? 0n;
          offsets.set(key, base + BigInt(batch.records.length));
          return { ok: true, baseOffset: base };
        }));
      },
    },
    cluster: {
      partitions: (topic) => (topic === "logs" || topic === "orders" ? partitions : undefined),
      healthy: () => state.healthy,
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
    },
  };
  return { side, sent, state };
}

async function setup(env: Record<string, string> = {}) {
  const key = generateApiKey();
  const otherKey = generateApiKey();
  const dir = await Deno.makeTempDir();
  const files: Record<string, string> = {
    [`${dir}/keys.yaml`]: `keys:
  - id: web
    sha256: ${await sha256Hex(key)}
    topics: [logs, orders]
  - id: other
    sha256: ${await sha256Hex(otherKey)}
    topics: [orders]
`,
    [`${dir}/topics.yaml`]: `topics:
  logs:
    keyPointer: /user
  orders:
    schema:
      type: object
      required: [customer, amount]
      properties:
        customer: { type: string }
        amount: { type: number, minimum: 0 }
`,
  };
  for (const [path, text] of Object.entries(files)) await Deno.writeTextFile(path, text);
  const lines: string[] = [];
  const log = createLogger({ level: "debug", sink: (l) => lines.push(l) });
  const cfg = parseConfig(producerConfigSpec, {
    KAFKA_BROKERS: "127.0.0.1:9",
    TOPICS_FILE: `${dir}/topics.yaml`,
    API_KEYS_FILE: `${dir}/keys.yaml`,
    ...env,
  });
  const kafka = fakeKafka();
  const gw = createGateway(cfg, { log, kafkaSide: kafka.side });
  function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
    return gw.app.request(path, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "x-api-key": key, ...headers },
    });
  }
  return { gw, key, otherKey, kafka, lines, post };
}

async function errorOf(res: Response) {
  const body = await res.json();
  assert.equal(typeof body.error?.code, "string", "error responses use the shared shape");
  assert.equal(typeof body.error?.message, "string");
  return body.error as { code: string; message: string; details?: unknown };
}

Deno.test("200 only after Kafka acknowledged, with per-event partition and offset in request order", async () => {
  const { post, kafka } = await setup();
  const res = await post(
    "/v1/topics/logs/events",
    '[{"user":"keita","action":"login"},{"user":"ann","n":12345678901234567890}]',
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.succeeded, 2);
  assert.equal(body.results.length, 2);
  for (const r of body.results) {
    assert.ok(r.id && Number.isInteger(r.partition) && typeof r.offset === "string");
  }
  const records = kafka.sent.flatMap((b) => b.records);
  const values = records.map((r) => new TextDecoder().decode(r.value!));
  assert.ok(values.includes('{"user":"ann","n":12345678901234567890}'), "the payload bytes are kept exactly");
  const keys = records.map((r) => new TextDecoder().decode(r.key!)).sort();
  assert.deepEqual(keys, ["ann", "keita"], "the key comes from the topic's keyPointer");
  const headerNames = records[0].headers.map(([n]) => n);
  for (const h of ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time"]) {
    assert.ok(headerNames.includes(h), h);
  }
});

Deno.test("202 for Prefer: respond-async once buffered", async () => {
  const { post } = await setup();
  const res = await post("/v1/topics/logs/events", '{"user":"a"}', { prefer: "respond-async" });
  assert.equal(res.status, 202);
  assert.equal((await res.json()).accepted, 1);
});

Deno.test("401 without credentials or with a wrong key, and the key never reaches the logs", async () => {
  const { gw, key, lines } = await setup();
  const none = await gw.app.request("/v1/topics/logs/events", {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json" },
  });
  assert.equal(none.status, 401);
  assert.equal(none.headers.get("www-authenticate"), "Bearer");
  assert.equal((await errorOf(none)).code, "missing_credentials");
  const wrong = await gw.app.request("/v1/topics/logs/events", {
    method: "POST",
    body: "{}",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}x` },
  });
  assert.equal(wrong.status, 401);
  assert.equal((await errorOf(wrong)).code, "invalid_credentials");
  assert.ok(!lines.join("\n").includes(key), "no log line contains the API key");
});

Deno.test("403 for a topic outside the principal's allow-list", async () => {
  const { post, otherKey } = await setup();
  const res = await post("/v1/topics/logs/events", "{}", { "x-api-key": otherKey });
  assert.equal(res.status, 403);
  assert.equal((await errorOf(res)).code, "forbidden");
});

Deno.test("404 for a topic that is not configured", async () => {
  const { post } = await setup();
  const res = await post("/v1/topics/secret-topic/events", "{}");
  assert.equal(res.status, 404);
  assert.match((await errorOf(res)).message, /not configured/);
});

Deno.test("413 for a body over the limit, with or without Content-Length", async () => {
  const { post } = await setup({ MAX_BODY_BYTES: "2048" });
  const big = JSON.stringify({ user: "x".repeat(5000) });
  assert.equal((await post("/v1/topics/logs/events", big)).status, 413);
  const stream = new ReadableStream({
    start(c) {
      for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode(" ".repeat(1000)));
      c.close();
    },
  });
  const res = await post("/v1/topics/logs/events", stream);
  assert.equal(res.status, 413);
  assert.equal((await errorOf(res)).code, "payload_too_large");
});

Deno.test("413 unread for a declared Content-Length over the limit; an endless stream is cancelled at it", async () => {
  const { post, kafka } = await setup({ MAX_BODY_BYTES: "2048" });
  let pulled = 0;
  const unread = new ReadableStream<Uint8Array>({ pull: () => void pulled++ }, { highWaterMark: 0 });
  const declared = await post("/v1/topics/logs/events", unread, { "content-length": "4096" });
  assert.equal(declared.status, 413);
  assert.deepEqual((await errorOf(declared)).details, { maxBodyBytes: 2048 });
  assert.equal(pulled, 0, "the body was not read");

  let cancelled: unknown = "not cancelled";
  let sent = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      sent += 1000;
      c.enqueue(new TextEncoder().encode(" ".repeat(1000)));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const res = await post("/v1/topics/logs/events", endless);
  assert.equal(res.status, 413);
  assert.equal((await errorOf(res)).code, "payload_too_large");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(cancelled, undefined, "the stream was cancelled");
  assert.ok(sent <= 4000, `read stopped just past the limit (${sent} bytes pulled)`);
  assert.equal(kafka.sent.length, 0);
});

Deno.test("a body in several chunks under the limit is read whole", async () => {
  const { post, kafka } = await setup({ MAX_BODY_BYTES: "2048" });
  const parts = ['[{"user":"a"', '},{"user"', ':"b"}]'];
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });
  const res = await post("/v1/topics/logs/events", body);
  assert.equal(res.status, 200);
  const values = kafka.sent.flatMap((b) => b.records).map((r) => new TextDecoder().decode(r.value!)).sort();
  assert.deepEqual(values, ['{"user":"a"}', '{"user":"b"}']);
});

async function compressed(text: string, format: "gzip" | "deflate"): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("gzip and deflate bodies are decoded first: Kafka gets the plain events", async () => {
  const { post, kafka } = await setup();
  const text = '[{"user":"keita","action":"login"},{"user":"ann","action":"logout"}]';
  for (const coding of ["gzip", "deflate", "x-gzip"] as const) {
    const format = coding === "x-gzip" ? "gzip" : coding;
    const res = await post("/v1/topics/logs/events", await compressed(text, format), {
      "content-encoding": coding,
    });
    assert.equal(res.status, 200, coding);
  }
  const values = kafka.sent.flatMap((b) => b.records).map((r) => new TextDecoder().decode(r.value!));
  assert.equal(values.filter((v) => v === '{"user":"keita","action":"login"}').length, 3);
  const bridge = await post(
    "/topics/logs",
    await compressed('{"records":[{"value":{"user":"b"}}]}', "gzip"),
    {
      "content-type": "application/vnd.kafka.json.v2+json",
      "content-encoding": "gzip",
    },
  );
  assert.equal(bridge.status, 200, "the bridge route takes compressed bodies too");
});

Deno.test("415 with Accept-Encoding for a coding the gateway cannot decode, the body unread", async () => {
  const { post, kafka } = await setup();
  let pulled = 0;
  const unread = new ReadableStream<Uint8Array>({ pull: () => void pulled++ }, { highWaterMark: 0 });
  const res = await post("/v1/topics/logs/events", unread, { "content-encoding": "br" });
  assert.equal(res.status, 415);
  assert.equal(res.headers.get("accept-encoding"), "gzip, deflate");
  const error = await errorOf(res);
  assert.equal(error.code, "unsupported_media_type");
  assert.match(error.message, /Content-Encoding br is not supported/);
  assert.equal(pulled, 0, "the body was not read");
  assert.equal(kafka.sent.length, 0);
});

Deno.test("413 for a body that expands past the limit once decoded, 400 for a corrupt one", async () => {
  const { post, kafka } = await setup({ MAX_BODY_BYTES: "4096" });
  // ~1 KB on the wire, 1 MB decoded.
  const bomb = await compressed(`{"user":"${"x".repeat(1_000_000)}"}`, "gzip");
  assert.ok(bomb.byteLength < 4096);
  const big = await post("/v1/topics/logs/events", bomb, { "content-encoding": "gzip" });
  assert.equal(big.status, 413);
  assert.match((await errorOf(big)).message, /exceeds 4096 bytes once gzip-decoded/);
  const corrupt = await post("/v1/topics/logs/events", '{"user":"not gzip"}', { "content-encoding": "gzip" });
  assert.equal(corrupt.status, 400);
  assert.match((await errorOf(corrupt)).message, /not valid gzip data/);
  assert.equal(kafka.sent.length, 0);
});

Deno.test("413 for more events than MAX_EVENTS", async () => {
  const { post } = await setup({ MAX_EVENTS: "3" });
  const res = await post("/v1/topics/logs/events", "[{},{},{},{}]");
  assert.equal(res.status, 413);
});

Deno.test("415 for an unsupported content type, on both routes", async () => {
  const { post } = await setup();
  assert.equal((await post("/v1/topics/logs/events", "hi", { "content-type": "text/plain" })).status, 415);
  const bridge = await post("/topics/logs", "{}", { "content-type": "application/json" });
  assert.equal(bridge.status, 415);
  assert.equal((await errorOf(bridge)).code, "unsupported_media_type");
});

Deno.test("400 for malformed JSON with the position of the error", async () => {
  const { post } = await setup();
  const res = await post("/v1/topics/logs/events", '{"user": "keita",}');
  assert.equal(res.status, 400);
  const err = await errorOf(res);
  assert.equal(typeof (err.details as { position: number }).position, "number");
});

Deno.test("422 for a schema violation, naming the event and the JSON pointer", async () => {
  const { post, kafka } = await setup();
  const res = await post(
    "/v1/topics/orders/events",
    '[{"customer":"c1","amount":5},{"customer":"c2","amount":-1}]',
  );
  assert.equal(res.status, 422);
  const err = await errorOf(res);
  assert.deepEqual((err.details as { event: number; pointer: string }[]).map((d) => [d.event, d.pointer]), [[
    1,
    "/amount",
  ]]);
  assert.equal(kafka.sent.length, 0, "nothing of a rejected request is produced");
});

Deno.test("429 with Retry-After once the principal's rate limit is spent", async () => {
  const { post } = await setup({ RATE_LIMIT_PER_SECOND: "1", RATE_LIMIT_BURST: "2" });
  assert.equal((await post("/v1/topics/logs/events", "[{},{}]")).status, 200);
  const res = await post("/v1/topics/logs/events", "{}");
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get("retry-after")) >= 1);
});

Deno.test("429 when the buffer is full, and 503 when Kafka does not acknowledge before the deadline", async () => {
  const { post, kafka } = await setup({
    BUFFER_BYTES: "65536",
    MAX_BODY_BYTES: "40000",
    REQUEST_TIMEOUT: "200",
  });
  kafka.state.mode = "hang";
  const body = JSON.stringify(Array.from({ length: 10 }, () => ({ user: "u", pad: "p".repeat(3000) })));
  const first = post("/v1/topics/logs/events", body);
  const second = post("/v1/topics/logs/events", body);
  const third = post("/v1/topics/logs/events", body);
  const statuses = (await Promise.all([first, second, third])).map((r) => r.status).sort();
  assert.ok(statuses.includes(429), `one request finds the buffer full: ${statuses}`);
  assert.ok(statuses.includes(503), `an admitted request times out with 503: ${statuses}`);
  assert.ok(!statuses.includes(200), "nothing is acknowledged while Kafka hangs");
});

Deno.test("503 with Retry-After when Kafka is unreachable, and readyz says so", async () => {
  const { post, gw, kafka } = await setup();
  kafka.state.healthy = false;
  const res = await post("/v1/topics/logs/events", "{}");
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "5");
  assert.equal((await gw.app.request("/readyz")).status, 503);
  kafka.state.healthy = true;
  assert.equal((await gw.app.request("/readyz")).status, 200);
});

Deno.test("503 when every send fails, 207 when only some do", async () => {
  const { post, kafka } = await setup();
  kafka.state.mode = "down";
  const all = await post("/v1/topics/logs/events", '{"user":"a"}');
  assert.equal(all.status, 503);
  assert.equal((await errorOf(all)).code, "service_unavailable");
  kafka.state.mode = "fail-partition-1";
  const users = Array.from({ length: 30 }, (_, i) => ({ user: `u${i}` }));
  const some = await post("/v1/topics/logs/events", JSON.stringify(users));
  assert.equal(some.status, 207);
  const body = await some.json();
  assert.ok(body.failed > 0 && body.succeeded > 0);
  assert.ok(body.results.every((r: { error?: unknown; partition?: number }) => r.error || r.partition !== 1));
});

Deno.test("503 and readyz false while draining", async () => {
  const { post, gw } = await setup();
  gw.beginDrain();
  assert.equal((await post("/v1/topics/logs/events", "{}")).status, 503);
  assert.equal((await gw.app.request("/readyz")).status, 503);
});

Deno.test("Strimzi-bridge route answers offsets with per-record key, partition and headers", async () => {
  const { post, kafka } = await setup();
  const res = await post(
    "/topics/logs",
    JSON.stringify({ records: [{ key: "k", value: { a: 1 } }, { value: { b: 2 }, partition: 2 }] }),
    { "content-type": "application/vnd.kafka.json.v2+json" },
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.offsets.length, 2);
  assert.equal(body.offsets[1].partition, 2);
  assert.ok(kafka.sent.some((b) => b.partition === 2));
});

Deno.test("422 for an explicit partition the topic does not have", async () => {
  const { post } = await setup();
  const res = await post("/topics/logs", JSON.stringify({ records: [{ value: 1, partition: 9 }] }), {
    "content-type": "application/vnd.kafka.json.v2+json",
  });
  assert.equal(res.status, 422);
});

Deno.test("healthz, metrics, openapi.json and docs are served", async () => {
  const { gw, post } = await setup();
  await post("/v1/topics/logs/events", "{}");
  assert.equal((await gw.app.request("/healthz")).status, 200);
  const metrics = await (await gw.app.request("/metrics")).text();
  assert.match(
    metrics,
    /edge_producer_http_requests_total\{route="\/v1\/topics\/:topic\/events",status="200"\} 1/,
  );
  assert.match(metrics, /edge_producer_events_total\{topic="logs",outcome="acked"\} 1/);
  const doc = await (await gw.app.request("/openapi.json")).json();
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(doc.paths["/v1/topics/{topic}/events"].post.parameters[0].schema.enum, ["logs", "orders"]);
  assert.match(await (await gw.app.request("/docs")).text(), /openapi\.json/);
  assert.equal((await gw.app.request("/nope")).status, 404);
});

Deno.test("createGateway reports every start-up problem of the topics and key files at once", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/t.yaml`, "topics:\n  a:\n    schema: { type: objekt }\n");
  await Deno.writeTextFile(`${dir}/k.yaml`, "keys:\n  - id: x\n    sha256: nothex\n");
  const cfg = parseConfig(producerConfigSpec, {
    KAFKA_BROKERS: "127.0.0.1:9",
    TOPICS_FILE: `${dir}/t.yaml`,
    API_KEYS_FILE: `${dir}/k.yaml`,
  });
  const err = (() => {
    try {
      createGateway(cfg, {
        log: createLogger({ sink: () => {} }),
        kafkaSide: fakeKafka().side,
      });
    } catch (e) {
      return e as Error;
    }
  })();
  assert.ok(err, "start-up fails");
  assert.match(err.message, /TOPICS_FILE/);
  assert.match(err.message, /API_KEYS_FILE/);
});

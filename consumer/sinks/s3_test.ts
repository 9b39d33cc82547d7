import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { toCloudEventJson } from "@kafka-edge/lib";
import { startS3 } from "../../lib/testing/s3.ts";
import { createFakeClock } from "@kafka-edge/lib/testing";
import { SinkError, type SinkRecord } from "../core/sink.ts";
import { createS3Sink, type S3SinkOptions } from "./s3.ts";
import {
  classifyS3Failure,
  gzip,
  mustCut,
  normalizePrefix,
  objectKey,
  recordLine,
  sha256Hex,
} from "./s3_objects.ts";
import { BASE_TIME, jsonBatch, jsonRecord, rawRecord } from "./test_support.ts";

const live = () => ({ signal: new AbortController().signal });
const utf8 = new TextEncoder();

Deno.test("object keys follow topic/date/hour of the first record and zero-padded offsets", () => {
  const key = objectKey({
    prefix: "archive",
    topic: "orders",
    partition: 3,
    firstOffset: "7",
    lastOffset: "12",
    timestamp: Date.UTC(2024, 11, 31, 23, 59, 59),
  });
  assert.equal(
    key,
    "archive/topic=orders/date=2024-12-31/hour=23/part-3-0000000000000000007-0000000000000000012.ndjson.gz",
  );
  assert.equal(normalizePrefix(""), "");
  assert.equal(normalizePrefix("/a/b/"), "a/b/");
  assert.equal(normalizePrefix("a"), "a/");
});

Deno.test("cloudevent lines are the CloudEvent JSON; raw bytes become data_base64", () => {
  const record = jsonRecord({ topic: "t", offset: 1 }, "evt-1", { total: 3 });
  assert.deepEqual(JSON.parse(recordLine(record, "cloudevent")), toCloudEventJson(record.event));
  const raw = JSON.parse(
    recordLine(rawRecord({ topic: "t", offset: 2 }, new Uint8Array([0xff, 0x0a])), "cloudevent"),
  );
  assert.equal(raw.data_base64, "/wo=");
});

Deno.test("raw lines keep one-line JSON verbatim, compact multi-line JSON, and refuse non-JSON", () => {
  const valued = (text: string) => ({
    ...jsonRecord({ topic: "t", offset: 1 }, "x", {}),
    value: utf8.encode(text),
  });
  assert.equal(
    recordLine(valued('{"b":1, "a":12345678901234567890}'), "raw"),
    '{"b":1, "a":12345678901234567890}',
  );
  assert.equal(recordLine(valued('{\n  "a": 1\n}'), "raw"), '{"a":1}');
  for (const bad of [valued("not json"), { ...valued("{}"), value: null }]) {
    assert.throws(
      () => recordLine(bad, "raw"),
      (err) => err instanceof SinkError && err.kind === "permanent",
    );
  }
});

Deno.test("an object is cut before a line that changes hour or would exceed a limit", () => {
  const limits = { maxBytes: 100, maxRecords: 3 };
  assert.equal(mustCut({ count: 0, bytes: 0, hour: 1 }, { bytes: 500, hour: 2 }, limits), false);
  assert.equal(mustCut({ count: 1, bytes: 10, hour: 1 }, { bytes: 10, hour: 1 }, limits), false);
  assert.equal(mustCut({ count: 1, bytes: 10, hour: 1 }, { bytes: 10, hour: 2 }, limits), true);
  assert.equal(mustCut({ count: 3, bytes: 10, hour: 1 }, { bytes: 10, hour: 1 }, limits), true);
  assert.equal(mustCut({ count: 1, bytes: 95, hour: 1 }, { bytes: 10, hour: 1 }, limits), true);
});

Deno.test("gzip output is standard gzip and the body hash is hex SHA-256", async () => {
  const body = await gzip('{"a":1}\n{"b":2}\n');
  assert.equal(new TextDecoder().decode(gunzipSync(body)), '{"a":1}\n{"b":2}\n');
  assert.equal(
    await sha256Hex(new Uint8Array()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("S3 answers: throttling, 5xx and configuration errors are transient, other 4xx permanent", () => {
  const kind = (status: number, body = "") => classifyS3Failure(status, body).kind;
  assert.equal(kind(503, "<Error><Code>SlowDown</Code></Error>"), "transient");
  assert.equal(kind(500), "transient");
  assert.equal(kind(429), "transient");
  assert.equal(kind(400, "<Code>RequestTimeout</Code>"), "transient");
  assert.equal(kind(403, "<Code>SignatureDoesNotMatch</Code>"), "transient");
  assert.equal(kind(404, "<Code>NoSuchBucket</Code>"), "transient");
  assert.equal(kind(301), "transient");
  assert.equal(kind(400, "<Code>InvalidArgument</Code>"), "permanent");
  assert.match(
    classifyS3Failure(404, "<Code>NoSuchBucket</Code>").message,
    /404 NoSuchBucket \(does the bucket/,
  );
  assert.equal(classifyS3Failure(503, "", 2000).retryAfterMs, 2000);
});

interface Put {
  readonly url: string;
  readonly key: string;
  readonly headers: Headers;
  readonly lines: Record<string, unknown>[];
  readonly body: Uint8Array;
}

/** An in-memory S3 front: HEAD answers 200, PUTs are recorded and answered by `respond` (default 200). */
function fakeS3(respond: (put: Put) => Response | Promise<Response> = () => new Response("")) {
  const puts: Put[] = [];
  const fetch = async (request: Request) => {
    if (request.method === "HEAD") return new Response(null, { status: 200 });
    const body = new Uint8Array(await request.arrayBuffer());
    const text = new TextDecoder().decode(gunzipSync(body));
    const put = {
      url: request.url,
      key: decodeURIComponent(new URL(request.url).pathname.split("/").slice(2).join("/")),
      headers: request.headers,
      lines: text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)),
      body,
    };
    puts.push(put);
    return await respond(put);
  };
  return { puts, fetch };
}

async function started(options: Partial<S3SinkOptions>, fetch: S3SinkOptions["fetch"]) {
  const sink = createS3Sink({
    bucket: "b",
    endpoint: "http://127.0.0.1:9000",
    forcePathStyle: true,
    accessKeyId: "AKID",
    secretAccessKey: "secret",
    fetch,
    ...options,
  });
  await sink.start();
  return sink;
}

const part = (first: number, last: number) =>
  `part-0-${String(first).padStart(19, "0")}-${String(last).padStart(19, "0")}.ndjson.gz`;

Deno.test("a batch is split into objects of at most maxObjectRecords, keyed by their offset ranges", async () => {
  const s3 = fakeS3();
  const sink = await started({ maxObjectRecords: 2, prefix: "raw" }, s3.fetch);
  assert.deepEqual(await sink.write(jsonBatch("orders", "e", 10, 5), live()), {});
  const keys = s3.puts.map((put) => put.key).sort();
  const dir = "raw/topic=orders/date=2024-05-01/hour=12/";
  assert.deepEqual(keys, [dir + part(10, 11), dir + part(12, 13), dir + part(14, 14)]);
  assert.deepEqual(s3.puts.flatMap((put) => put.lines.map((line) => line.id)).sort(), [
    "e-10",
    "e-11",
    "e-12",
    "e-13",
    "e-14",
  ]);
  await sink.close();
});

Deno.test("records of another UTC hour start a new object under that hour", async () => {
  const s3 = fakeS3();
  const sink = await started({}, s3.fetch);
  const hourEnd = BASE_TIME + 3_600_000 - 1000; // 12:59:59
  await sink.write([
    jsonRecord({ topic: "t", offset: 0, timestamp: hourEnd }, "a", {}),
    jsonRecord({ topic: "t", offset: 1, timestamp: hourEnd + 1000 }, "b", {}),
  ], live());
  assert.deepEqual(s3.puts.map((put) => put.key.split("/").slice(2).join("/")).sort(), [
    `hour=12/${part(0, 0)}`,
    `hour=13/${part(1, 1)}`,
  ]);
  await sink.close();
});

Deno.test("write() resolves only after the object holding its records is uploaded", async () => {
  const gate = Promise.withResolvers<Response>();
  const s3 = fakeS3(() => gate.promise);
  const sink = await started({}, s3.fetch);
  let resolved = false;
  const pending = sink.write(jsonBatch("t", "e", 0, 2), live()).then((result) => {
    resolved = true;
    return result;
  });
  for (let i = 0; i < 50 && s3.puts.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(s3.puts.length, 1);
  assert.equal(resolved, false);
  gate.resolve(new Response(""));
  assert.deepEqual(await pending, {});
  await sink.close();
});

Deno.test("PUTs are SigV4-signed with the body hash, path-style or virtual-hosted", async () => {
  const s3 = fakeS3();
  const sink = await started({}, s3.fetch);
  await sink.write(jsonBatch("t", "e", 0, 1), live());
  const [put] = s3.puts;
  assert.match(
    put.headers.get("authorization")!,
    /^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/us-east-1\/s3\//,
  );
  assert.equal(put.headers.get("x-amz-content-sha256"), await sha256Hex(new Uint8Array(put.body)));
  assert.ok(put.url.startsWith("http://127.0.0.1:9000/b/topic%3Dt/date%3D2024-05-01/"), put.url);
  await sink.close();

  const hosted = fakeS3();
  const aws = await started(
    { endpoint: undefined, forcePathStyle: false, region: "eu-west-1" },
    hosted.fetch,
  );
  await aws.write(jsonBatch("t", "e", 0, 1), live());
  assert.ok(
    hosted.puts[0].url.startsWith("https://b.s3.eu-west-1.amazonaws.com/topic%3Dt/"),
    hosted.puts[0].url,
  );
  await aws.close();
});

Deno.test("a 503 upload fails the write as transient with the Retry-After delay", async () => {
  const s3 = fakeS3(() =>
    new Response("<Code>SlowDown</Code>", { status: 503, headers: { "retry-after": "3" } })
  );
  const sink = await started({}, s3.fetch);
  const error = await sink.write(jsonBatch("t", "e", 0, 2), live()).catch((err) => err);
  assert.ok(error instanceof SinkError);
  assert.equal(error.kind, "transient");
  assert.equal(error.retryAfterMs, 3000);
  await sink.close();
});

Deno.test("a permanent 4xx fails exactly the records of the refused object", async () => {
  const s3 = fakeS3((put) =>
    put.key.includes(part(2, 3))
      ? new Response("<Code>InvalidArgument</Code>", { status: 400 })
      : new Response("")
  );
  const sink = await started({ maxObjectRecords: 2 }, s3.fetch);
  const result = await sink.write(jsonBatch("t", "e", 0, 5), live());
  assert.deepEqual(result.failures?.map((f) => [f.index, f.error.kind]), [[2, "permanent"], [
    3,
    "permanent",
  ]]);
  await sink.close();
});

Deno.test("in raw format a non-JSON value fails alone and the rest is uploaded", async () => {
  const s3 = fakeS3();
  const sink = await started({ format: "raw" }, s3.fetch);
  const records = [
    jsonRecord({ topic: "t", offset: 0 }, "a", { n: 0 }),
    rawRecord({ topic: "t", offset: 1 }, new Uint8Array([0xff])),
    jsonRecord({ topic: "t", offset: 2 }, "c", { n: 2 }),
  ];
  const result = await sink.write(records, live());
  assert.deepEqual(result.failures?.map((f) => f.index), [1]);
  assert.deepEqual(s3.puts[0].lines, [{ n: 0 }, { n: 2 }]);
  await sink.close();
});

Deno.test("with flushIntervalMs, concurrent writes of a partition share one object flushed on time", async () => {
  const clock = createFakeClock(BASE_TIME);
  const s3 = fakeS3();
  const sink = await started({ flushIntervalMs: 1000, clock }, s3.fetch);
  const first = sink.write(jsonBatch("t", "e", 0, 2), live());
  const second = sink.write(jsonBatch("t", "e", 2, 2), live());
  await clock.advance(999);
  assert.equal(s3.puts.length, 0);
  await clock.advance(1);
  assert.deepEqual(await Promise.all([first, second]), [{}, {}]);
  assert.deepEqual(s3.puts.map((put) => put.key.split("/").pop()), [part(0, 3)]);
  assert.equal(clock.pending, 0);
  await sink.close();
});

Deno.test("an aborted buffered write rejects at once and its records leave the open object", async () => {
  const clock = createFakeClock(BASE_TIME);
  const s3 = fakeS3();
  const sink = await started({ flushIntervalMs: 1000, clock }, s3.fetch);
  const controller = new AbortController();
  const aborted = sink.write(jsonBatch("t", "gone", 0, 2), controller);
  controller.abort(new Error("revoked"));
  await assert.rejects(aborted, (err) => err instanceof SinkError && /aborted: revoked/.test(err.message));
  const kept = sink.write(jsonBatch("t", "kept", 2, 1), live());
  await clock.advance(1000);
  assert.deepEqual(await kept, {});
  assert.deepEqual(s3.puts.map((put) => put.lines.map((line) => line.id)), [["kept-2"]]);
  await sink.close();
});

Deno.test("a write starting at a buffered offset supersedes the buffered records", async () => {
  const clock = createFakeClock(BASE_TIME);
  const s3 = fakeS3();
  const sink = await started({ flushIntervalMs: 1000, clock }, s3.fetch);
  const old = sink.write(jsonBatch("t", "old", 0, 3), live());
  const replay = sink.write(jsonBatch("t", "new", 1, 3), live());
  await assert.rejects(old, /superseded by a write from offset 1/);
  await clock.advance(1000);
  assert.deepEqual(await replay, {});
  assert.deepEqual(s3.puts.map((put) => put.key.split("/").pop()), [part(1, 3)]);
  await sink.close();
});

Deno.test("close() rejects writes still buffered and leaves no timer behind", async () => {
  const clock = createFakeClock(BASE_TIME);
  const s3 = fakeS3();
  const sink = await started({ flushIntervalMs: 1000, clock }, s3.fetch);
  const buffered = sink.write(jsonBatch("t", "e", 0, 1), live());
  await sink.close();
  await assert.rejects(buffered, /s3 sink closed/);
  assert.equal(clock.pending, 0);
  assert.equal(s3.puts.length, 0);
  await assert.rejects(sink.write(jsonBatch("t", "e", 1, 1), live()), /after close/);
});

Deno.test("start() names the problem: missing bucket, refused credentials, wrong region, unreachable", async () => {
  const answering = (response: () => Response) => (request: Request) => {
    assert.equal(request.method, "HEAD");
    return Promise.resolve(response());
  };
  const cases: [S3SinkOptions["fetch"], RegExp][] = [
    [
      answering(() => new Response(null, { status: 404 })),
      /bucket b at http:\/\/127\.0\.0\.1:9000 does not exist/,
    ],
    [
      answering(() => new Response(null, { status: 403 })),
      /access to bucket b .* denied \(check the credentials/,
    ],
    [
      answering(() =>
        new Response(null, { status: 301, headers: { "x-amz-bucket-region": "eu-central-1" } })
      ),
      /the bucket is in eu-central-1, not us-east-1/,
    ],
    [() => Promise.reject(new TypeError("Connection refused")), /is unreachable: .*Connection refused/],
  ];
  for (const [fetch, expected] of cases) {
    const sink = createS3Sink({
      bucket: "b",
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
      accessKeyId: "AKID",
      secretAccessKey: "secret",
      fetch,
    });
    await assert.rejects(sink.start(), expected);
    await sink.close();
  }
});

Deno.test("against a real S3 API (s3proxy)", async (t) => {
  const server = await startS3({ bucket: "archive" });
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  const base = {
    bucket: "archive",
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
  };
  const readLines = async (key: string) => {
    const got = await client.send(new GetObjectCommand({ Bucket: "archive", Key: key }));
    const text = new TextDecoder().decode(gunzipSync(await got.Body!.transformToByteArray()));
    return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  };
  const listKeys = async (prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: "archive", Prefix: prefix }))).Contents ?? [])
      .map((object) => object.Key);
  try {
    await t.step("objects are readable with @aws-sdk/client-s3 under the documented key layout", async () => {
      const sink = createS3Sink({ ...base, prefix: "ce/" });
      await sink.start();
      const records: SinkRecord[] = jsonBatch("orders", "evt", 41, 2);
      assert.deepEqual(await sink.write(records, live()), {});
      await sink.close();
      const key = `ce/topic=orders/date=2024-05-01/hour=12/${part(41, 42)}`;
      assert.deepEqual(await listKeys("ce/"), [key]);
      assert.deepEqual(await readLines(key), records.map((record) => toCloudEventJson(record.event)));
    });

    await t.step("raw format stores the record values as lines", async () => {
      const sink = createS3Sink({ ...base, prefix: "raw", format: "raw" });
      await sink.start();
      await sink.write([jsonRecord({ topic: "orders", offset: 5 }, "x", { total: 5 })], live());
      await sink.close();
      const [key] = await listKeys("raw/");
      assert.deepEqual(await readLines(key!), [{ total: 5 }]);
    });

    await t.step("start() fails clearly for a missing bucket and for a wrong secret", async () => {
      const missing = createS3Sink({ ...base, bucket: "nope" });
      await assert.rejects(missing.start(), /bucket nope at .* does not exist/);
      await missing.close();
      const forged = createS3Sink({ ...base, secretAccessKey: "wrong" });
      await assert.rejects(forged.start(), /access to bucket archive .* denied/);
      await forged.close();
    });
  } finally {
    client.destroy();
    await server.close();
  }
});

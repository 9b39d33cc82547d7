import assert from "node:assert/strict";
import { startOpenSearch } from "../../lib/testing/opensearch.ts";
import { SinkError } from "../core/sink.ts";
import { createOpenSearchSink, type OpenSearchSinkOptions } from "./opensearch.ts";
import {
  buildDocument,
  bulkItem,
  chunkItems,
  classifyBulkResponse,
  classifyItem,
  compileIndexTemplate,
  eventTimeMs,
} from "./opensearch_bulk.ts";
import { BASE_TIME, jsonBatch, jsonRecord, rawRecord } from "./test_support.ts";

const live = () => ({ signal: new AbortController().signal });

Deno.test("index templates render topic and UTC date parts, lower-cased", () => {
  const at = Date.UTC(2024, 0, 9, 5, 30);
  assert.equal(compileIndexTemplate("logs-{topic}-{yyyy.MM.dd}")("Orders", at), "logs-orders-2024.01.09");
  assert.equal(compileIndexTemplate("{topic}_{yyyy-MM-dd-HH}")("a.b", at), "a.b_2024-01-09-05");
  assert.equal(compileIndexTemplate("events")("orders", at), "events");
});

Deno.test("index templates with unknown placeholders or forbidden characters fail at construction", () => {
  assert.throws(() => compileIndexTemplate("logs-{partition}"), /unknown placeholder \{partition\}/);
  assert.throws(() => compileIndexTemplate("logs {topic}"), /not allowed/);
  assert.throws(() => compileIndexTemplate("_logs-{topic}"), /must not start/);
  assert.throws(() => createOpenSearchSink({ url: "http://127.0.0.1:9200", index: "x-{}" }), /placeholder/);
});

Deno.test("the event time picks the index, falling back to the Kafka timestamp", () => {
  const withTime = jsonRecord({ topic: "t", offset: 1 }, "a", {});
  assert.equal(eventTimeMs(withTime), BASE_TIME + 1000); // lib/envelope has no ce_time here: Kafka time.
  const stamped = { ...withTime, event: { ...withTime.event, time: "2023-12-31T23:00:00-02:00" } };
  assert.equal(eventTimeMs(stamped), Date.UTC(2024, 0, 1, 1, 0));
});

Deno.test("documents are the CloudEvent JSON plus @timestamp and @kafka placement", () => {
  const doc = buildDocument(jsonRecord({ topic: "orders", partition: 2, offset: 7 }, "evt-7", { total: 3 }));
  assert.equal(doc.id, "evt-7");
  assert.deepEqual(doc.data, { total: 3 });
  assert.equal(doc["@timestamp"], new Date(BASE_TIME + 7000).toISOString());
  assert.deepEqual(doc["@kafka"], {
    topic: "orders",
    partition: 2,
    offset: "7",
    timestamp: new Date(BASE_TIME + 7000).toISOString(),
  });
  const raw = buildDocument(rawRecord({ topic: "orders", offset: 8 }, new Uint8Array([0xff, 0])));
  assert.equal(raw.data_base64, "/wA=");
});

Deno.test("bulk items are an action line and a document line, and chunks respect the byte limit", () => {
  const item = bulkItem(0, "create", "logs", "id-1", { a: 1 });
  assert.equal(item.lines, '{"create":{"_index":"logs","_id":"id-1"}}\n{"a":1}\n');
  assert.equal(item.bytes, item.lines.length);
  const items = [0, 1, 2, 3].map((i) =>
    bulkItem(i, "index", "logs", `${i}`, { pad: "x".repeat(i === 2 ? 200 : 10) })
  );
  const sizes = chunkItems(items, 150).map((chunk) => chunk.map((it) => it.index));
  // The oversized item still goes, alone; order is kept.
  assert.deepEqual(sizes, [[0, 1], [2], [3]]);
});

Deno.test("bulk item results: 2xx ok, 429/5xx retried, other 4xx permanent, create conflicts count as stored", () => {
  assert.deepEqual(classifyItem("index", { status: 201 }), { kind: "ok" });
  assert.deepEqual(classifyItem("create", { status: 409 }), { kind: "ok" });
  assert.equal(classifyItem("index", { status: 409 }).kind, "retry");
  assert.equal(classifyItem("index", { status: 429 }).kind, "retry");
  assert.equal(classifyItem("index", { status: 503 }).kind, "retry");
  assert.deepEqual(
    classifyItem("index", {
      status: 400,
      error: { type: "mapper_parsing_exception", reason: "failed to parse" },
    }),
    { kind: "permanent", status: 400, reason: "mapper_parsing_exception: failed to parse" },
  );
  assert.throws(() => classifyBulkResponse("index", { items: [] }, 1), /0 items for 1/);
});

interface Call {
  readonly url: string;
  readonly headers: Headers;
  readonly lines: unknown[];
}

/** A fetch that answers from a script and records what was sent. */
function scripted(...answers: ((call: Call, signal: AbortSignal) => Response | Promise<Response>)[]) {
  const calls: Call[] = [];
  const fetch = async (request: Request, signal: AbortSignal) => {
    const text = await request.text();
    const call = {
      url: request.url,
      headers: request.headers,
      lines: text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)),
    };
    calls.push(call);
    const answer = answers.shift();
    if (!answer) throw new Error("unexpected request");
    return await answer(call, signal);
  };
  return { calls, fetch };
}

function bulkAnswer(...statuses: number[]): () => Response {
  return () =>
    Response.json({
      errors: statuses.some((s) => s >= 300),
      items: statuses.map((status) => ({
        index: status < 300 ? { status } : { status, error: { type: `error_${status}`, reason: "no" } },
      })),
    });
}

const rootAnswer = () => Response.json({ version: { number: "2.19.6" } });

async function startedSink(options: Partial<OpenSearchSinkOptions>, fetch: OpenSearchSinkOptions["fetch"]) {
  const sleeps: number[] = [];
  const sink = createOpenSearchSink({
    url: "http://127.0.0.1:9200",
    fetch,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...options,
  });
  await sink.start();
  return { sink, sleeps };
}

Deno.test("only items rejected with 429/5xx are re-sent; 4xx items become permanent failures", async () => {
  const { calls, fetch } = scripted(rootAnswer, bulkAnswer(201, 429, 400, 503), bulkAnswer(200, 200));
  const { sink, sleeps } = await startedSink({}, fetch);
  const result = await sink.write(jsonBatch("orders", "e", 0, 4), live());
  assert.deepEqual(result.failures?.map((f) => [f.index, f.error.kind]), [[2, "permanent"]]);
  assert.match(result.failures![0].error.message, /HTTP 400 error_400: no/);
  const resent = calls[2].lines.filter((_, i) => i % 2 === 0) as { index: { _id: string } }[];
  assert.deepEqual(resent.map((action) => action.index._id), ["e-1", "e-3"]);
  assert.deepEqual(sleeps, [200]);
  await sink.close();
});

Deno.test("documents still rejected after maxItemRetries are reported as transient failures", async () => {
  const { fetch } = scripted(rootAnswer, bulkAnswer(200, 503), bulkAnswer(503), bulkAnswer(429));
  const { sink, sleeps } = await startedSink({ maxItemRetries: 2, retryBackoffMs: 10 }, fetch);
  const result = await sink.write(jsonBatch("orders", "e", 0, 2), live());
  assert.deepEqual(result.failures?.map((f) => [f.index, f.error.kind]), [[1, "transient"]]);
  assert.match(result.failures![0].error.message, /after 2 retries: HTTP 429 error_429: no/);
  assert.deepEqual(sleeps, [10, 20]);
});

Deno.test("a whole-request 429 throws transient with the Retry-After delay", async () => {
  const { fetch } = scripted(
    rootAnswer,
    () => new Response("busy", { status: 429, headers: { "retry-after": "7" } }),
  );
  const { sink } = await startedSink({}, fetch);
  const error = await sink.write(jsonBatch("orders", "e", 0, 1), live()).catch((err) => err);
  assert.ok(error instanceof SinkError);
  assert.equal(error.kind, "transient");
  assert.equal(error.retryAfterMs, 7000);
});

Deno.test("rejected credentials on _bulk stall as transient instead of dead-lettering everything", async () => {
  const { fetch } = scripted(rootAnswer, () => new Response("no", { status: 401 }));
  const { sink } = await startedSink({}, fetch);
  const error = await sink.write(jsonBatch("orders", "e", 0, 1), live()).catch((err) => err);
  assert.equal(error.kind, "transient");
  assert.match(error.message, /HTTP 401 \(check credentials\)/);
});

Deno.test("a 413 splits the request; a single document too large fails permanently", async () => {
  const { calls, fetch } = scripted(
    rootAnswer,
    () => new Response("too large", { status: 413 }),
    bulkAnswer(201),
    () => new Response("too large", { status: 413 }),
  );
  const { sink } = await startedSink({}, fetch);
  const result = await sink.write(jsonBatch("orders", "e", 0, 2), live());
  assert.deepEqual(result.failures?.map((f) => [f.index, f.error.kind]), [[1, "permanent"]]);
  assert.deepEqual(calls.slice(1).map((call) => call.lines.length), [4, 2, 2]);
});

Deno.test("a refused connection throws a transient SinkError", async () => {
  const { fetch } = scripted(rootAnswer, () => Promise.reject(new TypeError("connection refused")));
  const { sink } = await startedSink({}, fetch);
  const error = await sink.write(jsonBatch("orders", "e", 0, 1), live()).catch((err) => err);
  assert.ok(error instanceof SinkError && error.kind === "transient");
  assert.match(error.message, /unreachable: connection refused/);
});

Deno.test("a request without an answer times out as transient after timeoutMs", async () => {
  const hang = (_: Call, signal: AbortSignal) =>
    new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  const { fetch } = scripted(rootAnswer, hang);
  const { sink } = await startedSink({ timeoutMs: 50 }, fetch);
  const started = Date.now();
  const error = await sink.write(jsonBatch("orders", "e", 0, 1), live()).catch((err) => err);
  assert.equal(error.kind, "transient");
  assert.match(error.message, /no response within 50ms/);
  assert.ok(Date.now() - started < 5_000);
});

Deno.test("credentials in the URL become basic auth; an API key wins over them", async () => {
  const basic = scripted(rootAnswer);
  await startedSink({ url: "http://user:p%40ss@127.0.0.1:9200" }, basic.fetch);
  assert.equal(basic.calls[0].headers.get("authorization"), `Basic ${btoa("user:p@ss")}`);
  assert.equal(basic.calls[0].url, "http://127.0.0.1:9200/");
  const keyed = scripted(rootAnswer);
  await startedSink({ url: "http://user:pw@127.0.0.1:9200", apiKey: "k1" }, keyed.fetch);
  assert.equal(keyed.calls[0].headers.get("authorization"), "ApiKey k1");
});

Deno.test("start() fails clearly when the cluster is unreachable or refuses the credentials", async () => {
  const down = scripted(() => Promise.reject(new TypeError("Connection refused (os error 111)")));
  await assert.rejects(
    startedSink({ url: "http://admin:secret@127.0.0.1:9" }, down.fetch),
    (err: Error) => {
      assert.equal(
        err.message,
        "opensearch sink: cannot start: opensearch cluster at http://127.0.0.1:9 is unreachable: " +
          "Connection refused (os error 111)",
      );
      return true;
    },
  );
  const denied = scripted(() => new Response("", { status: 403 }));
  await assert.rejects(startedSink({}, denied.fetch), /refused the credentials \(HTTP 403\)/);
});

Deno.test("write() before start() is a programming error, not a silent ack", async () => {
  const sink = createOpenSearchSink({
    url: "http://127.0.0.1:9200",
    fetch: () => Promise.reject(new Error()),
  });
  await assert.rejects(sink.write(jsonBatch("orders", "e", 0, 1), live()), /before start\(\)/);
});

Deno.test("against a real OpenSearch node", async (t) => {
  const server = await startOpenSearch();
  const search = async (index: string) => {
    await fetch(`${server.url}/${index}/_refresh`, { method: "POST" }).then((r) => r.body?.cancel());
    const response = await fetch(`${server.url}/${index}/_search?size=100`);
    return (await response.json()).hits.hits as {
      _id: string;
      _index: string;
      _source: Record<string, unknown>;
    }[];
  };
  try {
    await t.step("documents land in the templated daily index under their event id", async () => {
      const sink = createOpenSearchSink({ url: server.url });
      await sink.start();
      await sink.write([jsonRecord({ topic: "Orders", offset: 3 }, "evt-3", { total: 3 })], live());
      await sink.close();
      const hits = await search("logs-orders-*");
      assert.deepEqual(hits.map((hit) => [hit._index, hit._id]), [["logs-orders-2024.05.01", "evt-3"]]);
      assert.deepEqual(hits[0]._source.data, { total: 3 });
      assert.equal(hits[0]._source["@timestamp"], "2024-05-01T12:00:03.000Z");
    });

    await t.step("a mapping conflict fails only the conflicting record, permanently", async () => {
      const sink = createOpenSearchSink({ url: server.url, index: "mapped" });
      await sink.start();
      await sink.write([jsonRecord({ topic: "m", offset: 0 }, "m-0", { n: 1 })], live());
      const result = await sink.write([
        jsonRecord({ topic: "m", offset: 1 }, "m-1", { n: { nested: true } }),
        jsonRecord({ topic: "m", offset: 2 }, "m-2", { n: 2 }),
      ], live());
      await sink.close();
      assert.deepEqual(result.failures?.map((f) => [f.index, f.error.kind]), [[0, "permanent"]]);
      assert.match(result.failures![0].error.message, /HTTP 400 mapper_parsing_exception/);
      assert.deepEqual((await search("mapped")).map((hit) => hit._id).sort(), ["m-0", "m-2"]);
    });

    await t.step("with action create a replay keeps the first copy and still succeeds", async () => {
      const sink = createOpenSearchSink({ url: server.url, index: "created", action: "create" });
      await sink.start();
      await sink.write([jsonRecord({ topic: "c", offset: 0 }, "c-0", { v: "first" })], live());
      const replay = await sink.write(
        [jsonRecord({ topic: "c", offset: 0 }, "c-0", { v: "second" })],
        live(),
      );
      await sink.close();
      assert.deepEqual(replay, {});
      assert.deepEqual((await search("created")).map((hit) => hit._source.data), [{ v: "first" }]);
    });

    await t.step("start() against a closed port names the URL", async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const url = `http://127.0.0.1:${listener.addr.port}/`;
      listener.close();
      const sink = createOpenSearchSink({ url, timeoutMs: 5_000 });
      await assert.rejects(
        sink.start(),
        (err: Error) => err.message.includes(`cluster at ${url.slice(0, -1)} is unreachable`),
      );
      await sink.close();
    });
  } finally {
    await server.close();
  }
});

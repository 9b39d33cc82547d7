/** The webhook sink against a real local HTTP server (Deno.serve on 127.0.0.1:0). */
import assert from "node:assert/strict";
import { parseConfig } from "@kafka-edge/lib";
import { SinkError, type SinkRecord } from "../core/sink.ts";
import {
  classifyStatus,
  createWebhookSink,
  retryAfterMs,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
  webhookSinkSpec,
} from "./webhook.ts";

function record(n: number): SinkRecord {
  return {
    topic: "orders",
    partition: 0,
    offset: String(n),
    timestamp: 0,
    key: null,
    value: null,
    headers: {},
    event: {
      id: `e${n}`,
      source: "/s",
      type: "order",
      specversion: "1.0",
      datacontenttype: "application/json",
      data: { n },
    },
  };
}

type Handler = (req: Request, body: string) => Response | Promise<Response>;

async function withServer(handler: Handler, fn: (url: string) => Promise<void>): Promise<void> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => handler(req, await req.text()),
  );
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/hook`);
  } finally {
    await server.shutdown();
  }
}

function sinkFor(url: string, extra: Record<string, string> = {}) {
  return createWebhookSink(parseConfig(webhookSinkSpec, { WEBHOOK_URL: url, ...extra }), {
    now: () => Date.now(),
  });
}

const ctx = () => ({ signal: new AbortController().signal });

Deno.test("POSTs each event as a signed structured CloudEvent the receiver can verify", async () => {
  const seen: { body: unknown; valid: boolean; idem: string | null; type: string | null }[] = [];
  await withServer(async (req, body) => {
    seen.push({
      body: JSON.parse(body),
      valid: await verifyWebhookSignature("s3cret", req.headers, body),
      idem: req.headers.get("idempotency-key"),
      type: req.headers.get("content-type"),
    });
    return new Response(null, { status: 204 });
  }, async (url) => {
    const sink = sinkFor(url, { WEBHOOK_SECRET: "s3cret" });
    assert.deepEqual(await sink.write([record(1), record(2)], ctx()), {});
    await sink.close();
  });
  assert.equal(seen.length, 2);
  assert.ok(seen.every((s) => s.valid));
  assert.deepEqual(seen.map((s) => s.idem), ["e1", "e2"]);
  assert.match(seen[0].type!, /^application\/cloudevents\+json/);
  assert.deepEqual((seen[0].body as { data: unknown }).data, { n: 1 });
});

Deno.test("a signature over another body, another secret or an old timestamp does not verify", async () => {
  const ts = String(Math.floor(Date.now() / 1000));
  const headers = new Headers({
    [TIMESTAMP_HEADER]: ts,
    [SIGNATURE_HEADER]: await signWebhook("k", ts, "body"),
  });
  assert.equal(await verifyWebhookSignature("k", headers, "body"), true);
  assert.equal(await verifyWebhookSignature("k", headers, "body!"), false);
  assert.equal(await verifyWebhookSignature("other", headers, "body"), false);
  assert.equal(await verifyWebhookSignature("k", headers, "body", Date.now() + 3_600_000), false);
});

Deno.test("503 with Retry-After is transient and carries the delay; later records are held back in order", async () => {
  await withServer((_req, body) => {
    const n = JSON.parse(body).data.n;
    return n === 2
      ? new Response("busy", { status: 503, headers: { "retry-after": "3" } })
      : new Response("ok");
  }, async (url) => {
    const sink = sinkFor(url);
    const result = await sink.write([record(1), record(2), record(3)], ctx());
    assert.deepEqual(result.failures!.map((f) => [f.index, f.error.kind, f.error.retryAfterMs]), [
      [1, "transient", 3000],
      [2, "transient", 3000],
    ]);
    assert.match(result.failures![0].error.message, /HTTP 503: busy/);
    await sink.close();
  });
});

Deno.test("400 is permanent for that record only; the others are delivered", async () => {
  const delivered: number[] = [];
  await withServer((_req, body) => {
    const n = JSON.parse(body).data.n;
    if (n === 1) return new Response('{"error":"bad order"}', { status: 400 });
    delivered.push(n);
    return new Response("ok");
  }, async (url) => {
    const sink = sinkFor(url);
    const result = await sink.write([record(0), record(1), record(2)], ctx());
    assert.deepEqual(result.failures!.map((f) => [f.index, f.error.kind]), [[1, "permanent"]]);
    assert.deepEqual(delivered, [0, 2]);
    await sink.close();
  });
});

Deno.test("timeouts and refused connections are transient", async () => {
  await withServer(async () => {
    await new Promise((r) => setTimeout(r, 1_000));
    return new Response("late");
  }, async (url) => {
    const sink = sinkFor(url, { WEBHOOK_TIMEOUT: "150ms" });
    const result = await sink.write([record(0)], ctx());
    assert.equal(result.failures![0].error.kind, "transient");
    assert.match(result.failures![0].error.message, /no response within 150 ms/);
    await sink.close();
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const sink = sinkFor(`http://127.0.0.1:${port}/`);
  const result = await sink.write([record(0)], ctx());
  assert.ok(result.failures![0].error instanceof SinkError);
  assert.equal(result.failures![0].error.kind, "transient");
  await sink.close();
});

Deno.test("status classes and Retry-After parsing", () => {
  assert.deepEqual([200, 204, 408, 425, 429, 500, 503, 400, 404, 409, 301].map(classifyStatus), [
    undefined,
    undefined,
    "transient",
    "transient",
    "transient",
    "transient",
    "transient",
    "permanent",
    "permanent",
    "permanent",
    "permanent",
  ]);
  assert.equal(retryAfterMs("2", 0), 2000);
  assert.equal(retryAfterMs(new Date(5000).toUTCString(), 0), 5000);
  assert.equal(retryAfterMs("soon", 0), undefined);
  assert.equal(retryAfterMs(null, 0), undefined);
});

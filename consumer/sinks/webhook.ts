/**
 * The webhook sink: POSTs each event as a structured CloudEvent (application/cloudevents+json) to one URL.
 *
 * Signature: with WEBHOOK_SECRET set, `x-kafka-edge-signature: sha256=<hex HMAC-SHA256(secret,
 * "<timestamp>.<body>")>` and `x-kafka-edge-timestamp: <unix seconds>`. Signing the timestamp with the body
 * lets receivers reject replays older than a few minutes ({@link verifyWebhookSignature} does both checks).
 * `idempotency-key` carries the event id so a receiver can drop the duplicates at-least-once delivery makes.
 *
 * Outcomes: 2xx acknowledges; 408, 425, 429, 5xx, timeouts and connection errors are transient (Retry-After
 * honoured); any other status is permanent and sends the record to the dead-letter topic. With
 * WEBHOOK_CONCURRENCY=1 (default) a transient failure holds back the rest of the batch, so a retried record
 * is never overtaken by its successors; a permanently failing one is dead-lettered and the rest go on.
 *
 * @module
 */
import { type ConfigOf, defineConfig, duration, int, str, toCloudEventJson, url } from "@kafka-edge/lib";
import { type Sink, SinkError, type SinkRecord, type SinkWriteResult } from "../core/sink.ts";

/** The webhook sink's settings. */
export const webhookSinkSpec = defineConfig({
  WEBHOOK_URL: url({ protocols: ["https:", "http:"] }).example("https://hooks.example/kafka")
    .describe("endpoint every event is POSTed to"),
  WEBHOOK_SECRET: str().optional().secret().describe("HMAC-SHA256 key for x-kafka-edge-signature"),
  WEBHOOK_TIMEOUT: duration({ min: 100, max: 300_000 }).default(10_000).describe("per request"),
  WEBHOOK_CONCURRENCY: int({ min: 1, max: 64 }).default(1)
    .describe("parallel requests per batch; 1 keeps per-partition order, also across retries"),
});

/** Parsed webhook sink settings. */
export type WebhookSinkConfig = ConfigOf<typeof webhookSinkSpec.fields>;

/** Header names of the signature scheme. */
export const SIGNATURE_HEADER = "x-kafka-edge-signature";
export const TIMESTAMP_HEADER = "x-kafka-edge-timestamp";

/** Injectable clock for the signature timestamp. */
export interface WebhookSinkDeps {
  readonly now?: () => number;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function hmacKey(secret: string): Promise<CryptoKey> {
  return await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
      "verify",
    ],
  );
}

/** `sha256=<hex>` over `<timestamp>.<body>`. */
export async function signWebhook(secret: string, timestamp: string, body: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(`${timestamp}.${body}`));
  return `sha256=${hex(mac)}`;
}

/**
 * What a receiver runs: true when the signature matches (compared in constant time by WebCrypto) and the
 * timestamp is within `toleranceSeconds` of `nowMs`.
 */
export async function verifyWebhookSignature(
  secret: string,
  headers: Headers,
  body: string,
  nowMs: number = Date.now(),
  toleranceSeconds = 300,
): Promise<boolean> {
  const timestamp = headers.get(TIMESTAMP_HEADER) ?? "";
  const signature = headers.get(SIGNATURE_HEADER) ?? "";
  if (!/^\d+$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const match = /^sha256=([0-9a-f]{64})$/.exec(signature);
  if (!match) return false;
  const mac = Uint8Array.from(match[1].match(/../g)!, (h) => parseInt(h, 16));
  return await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    mac,
    encoder.encode(`${timestamp}.${body}`),
  );
}

/** Milliseconds from Retry-After (delta-seconds or HTTP date), or undefined. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** Classifies an HTTP status; undefined means success. */
export function classifyStatus(status: number): "transient" | "permanent" | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status === 408 || status === 425 || status === 429 || status >= 500) return "transient";
  return "permanent";
}

function clip(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Creates the webhook sink. */
export function createWebhookSink(config: WebhookSinkConfig, deps: WebhookSinkDeps = {}): Sink {
  const now = deps.now ?? Date.now;
  const key = config.WEBHOOK_SECRET === undefined ? undefined : hmacKey(config.WEBHOOK_SECRET);
  // An owned client so close() really drops the keep-alive connections.
  const client = Deno.createHttpClient({});

  async function post(record: SinkRecord, signal: AbortSignal): Promise<void> {
    let body: string;
    try {
      body = JSON.stringify(toCloudEventJson(record.event));
    } catch (err) {
      throw new SinkError(`cannot encode event: ${(err as Error).message}`, "permanent");
    }
    const timestamp = String(Math.floor(now() / 1000));
    const headers = new Headers({
      "content-type": "application/cloudevents+json; charset=utf-8",
      "idempotency-key": record.event.id,
      [TIMESTAMP_HEADER]: timestamp,
    });
    if (key) {
      const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(`${timestamp}.${body}`));
      headers.set(SIGNATURE_HEADER, `sha256=${hex(mac)}`);
    }
    const timeout = AbortSignal.timeout(config.WEBHOOK_TIMEOUT);
    let response: Response;
    try {
      response = await fetch(config.WEBHOOK_URL, {
        method: "POST",
        body,
        headers,
        client,
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (err) {
      const why = timeout.aborted
        ? `no response within ${config.WEBHOOK_TIMEOUT} ms`
        : signal.aborted
        ? "write aborted"
        : (err as Error).message;
      throw new SinkError(`webhook request failed: ${why}`, "transient");
    }
    const kind = classifyStatus(response.status);
    if (kind === undefined) {
      await response.body?.cancel();
      return;
    }
    const text = await response.text().catch(() => "");
    throw new SinkError(
      `webhook answered HTTP ${response.status}${text ? `: ${clip(text)}` : ""}`,
      kind,
      kind === "transient" ? retryAfterMs(response.headers.get("retry-after"), now()) : undefined,
    );
  }

  return {
    name: "webhook",
    start: () => Promise.resolve(),
    async write(records, ctx): Promise<SinkWriteResult> {
      const failures: { index: number; error: SinkError }[] = [];
      let next = 0;
      // A small pool of lanes; each takes the next record until none are left (bounded by records.length).
      const ordered = config.WEBHOOK_CONCURRENCY === 1;
      const lane = async () => {
        while (next < records.length) {
          const index = next++;
          try {
            await post(records[index], ctx.signal);
          } catch (err) {
            const error = err instanceof SinkError ? err : new SinkError(String(err), "transient");
            failures.push({ index, error });
            if (ordered && error.kind === "transient") {
              // Sending later records now would overtake this one when it is retried; hold them back too.
              const held = new SinkError(
                `not sent: an earlier record of this partition failed (${error.message})`,
                "transient",
                error.retryAfterMs,
              );
              while (next < records.length) failures.push({ index: next++, error: held });
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(config.WEBHOOK_CONCURRENCY, records.length) }, lane));
      return failures.length > 0 ? { failures } : {};
    },
    close() {
      client.close();
      return Promise.resolve();
    },
  };
}

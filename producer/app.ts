/**
 * The gateway's HTTP surface (Hono). Every check that can refuse a request runs before anything is
 * buffered, in the cheapest order: auth → topic → allow-list → rate → readiness → body size → content type
 * → decode → schema → budget. Only then are events handed to the batcher, and the answer waits for Kafka.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { type ErrorCode, errorResponse, httpError, type Logger, metricsResponse } from "@kafka-edge/lib";
import type { Clock } from "@kafka-edge/lib";
import type { Batcher, RecordOutcome } from "./core/batcher.ts";
import type { ClusterView } from "./core/ports.ts";
import { ACCEPTED_ENCODINGS, decodeBody, parseContentEncoding } from "./core/content_encoding.ts";
import { readCapped } from "./core/read_capped.ts";
import { bridgeAnswer, type ProduceAnswer, v1Answer } from "./core/results.ts";
import type {
  AuthResult,
  DecodedEvent,
  DecodeResult,
  Principal,
  RateLimit,
  RequestProblem,
  TopicConfig,
} from "./core/types.ts";
import type { ProducerMetrics } from "./metrics.ts";
import { docsPage, openApiDocument } from "./openapi.ts";

/** Request limits and Retry-After hints. */
export interface AppLimits {
  readonly maxBodyBytes: number;
  /** How long a synchronous request waits for Kafka's acknowledgement. */
  readonly requestTimeoutMs: number;
  /** Retry-After seconds for 429 when the buffer is full. */
  readonly retryAfterBusy: number;
  /** Retry-After seconds for 503 when Kafka is unreachable. */
  readonly retryAfterUnavailable: number;
}

/** Outcome of a rate-limit check. */
export type RateDecision = { readonly ok: true } | {
  readonly ok: false;
  readonly retryAfterSeconds: number;
  readonly never?: boolean;
};

/** Everything the app needs, injected so tests can run it with fakes and without I/O. */
export interface AppDeps {
  readonly topics: ReadonlyMap<string, TopicConfig>;
  readonly limits: AppLimits;
  /** Picks the decoder from the headers (415 when none fits) and decodes the body. */
  readonly decode: (topic: TopicConfig, body: Uint8Array, headers: Headers) => DecodeResult;
  /** Checks payloads against the topic's JSON Schema; undefined when all are valid. */
  readonly validate: (topic: string, events: readonly DecodedEvent[]) => RequestProblem | undefined;
  readonly authenticate: (headers: Headers) => Promise<AuthResult>;
  readonly authorize: (principal: Principal, topic: string) => boolean;
  /** Takes `cost` tokens (events) from the principal's bucket. */
  readonly rateLimit: (principal: Principal, cost: number, rate?: RateLimit) => RateDecision;
  readonly batcher: Batcher;
  readonly cluster: ClusterView;
  readonly metrics: ProducerMetrics;
  readonly log: Logger;
  readonly clock: Clock;
  /** CORS origins; CORS is off when empty. */
  readonly corsOrigins: readonly string[];
  readonly isDraining: () => boolean;
}

type Route = "v1" | "bridge";

/** Per-request values the guard hands to the handler. */
type Env = { Variables: { principal: Principal; topicConfig: TopicConfig } };

const BRIDGE_TYPES = /^application\/vnd\.kafka\.(json|binary|text)\.v2\+json\s*(;|$)/i;

function problemResponse(p: RequestProblem): Response {
  return httpError(p.status, p.code, p.message, p.details);
}

function isAsync(c: Context<Env>): boolean {
  const prefer = c.req.header("prefer") ?? "";
  return /(^|[,;\s])respond-async(\s|,|;|$)/i.test(prefer) || c.req.query("async") === "true";
}

/** Builds the Hono app. */
export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const { metrics, log } = deps;

  app.use("*", async (c, next) => {
    await next();
    const route = c.req.routePath ?? "unmatched";
    metrics.requests.inc({ route, status: String(c.res.status) });
  });
  if (deps.corsOrigins.length > 0) {
    app.use(
      "*",
      cors({
        origin: [...deps.corsOrigins],
        allowHeaders: [
          "authorization",
          "content-type",
          "x-api-key",
          "idempotency-key",
          "prefer",
          "traceparent",
          "tracestate",
        ],
        exposeHeaders: ["retry-after"],
      }),
    );
  }

  app.onError((err, c) => {
    log.error("unhandled error", { error: err, path: c.req.path });
    return errorResponse("internal");
  });
  app.notFound(() => errorResponse("not_found", { message: "no such route" }));

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    if (deps.isDraining()) return errorResponse("service_unavailable", { message: "shutting down" });
    if (!deps.cluster.healthy() || deps.batcher.stalled()) {
      return errorResponse("service_unavailable", {
        message:
          "Kafka is unreachable or a configured topic cannot take acks=all writes (see the gateway log)",
        retryAfter: deps.limits.retryAfterUnavailable,
      });
    }
    return c.json({ status: "ready" });
  });
  app.get("/metrics", () => metricsResponse(metrics.metrics.registry));
  app.get("/openapi.json", (c) => c.json(openApiDocument([...deps.topics.keys()])));
  app.get("/docs", (c) => c.html(docsPage()));

  app.post("/v1/topics/:topic/events", guard("v1"), (c) => produce(c, "v1"));
  app.post("/topics/:topic", guard("bridge"), (c) => produce(c, "bridge"));

  /** Refusals that need neither the body nor Kafka. */
  function guard(route: Route) {
    return async (c: Context<Env>, next: () => Promise<void>) => {
      const auth = await deps.authenticate(c.req.raw.headers);
      if (!auth.ok) {
        return httpError(401, auth.code, auth.message, undefined, {
          headers: { "www-authenticate": "Bearer" },
        });
      }
      const name = c.req.param("topic") ?? "";
      const topic = deps.topics.get(name);
      if (!topic) {
        return errorResponse("not_found", {
          message: `topic "${name.slice(0, 256)}" is not configured on this gateway`,
        });
      }
      if (!deps.authorize(auth.principal, name)) {
        return errorResponse("forbidden", {
          message: `principal "${auth.principal.id}" may not write to topic "${name}"`,
        });
      }
      if (route === "bridge" && !BRIDGE_TYPES.test(c.req.header("content-type") ?? "")) {
        return errorResponse("unsupported_media_type", {
          message: "this route takes the Kafka Bridge formats",
          details: {
            supported: [
              "application/vnd.kafka.json.v2+json",
              "application/vnd.kafka.binary.v2+json",
              "application/vnd.kafka.text.v2+json",
            ],
          },
        });
      }
      // Every request carries at least one event: charge it before reading the body, so an empty bucket
      // refuses cheaply; the other n-1 events are charged once decoding has counted them.
      const first = deps.rateLimit(auth.principal, 1, auth.principal.rate);
      if (!first.ok) return tooMany(first.retryAfterSeconds);
      if (deps.isDraining()) {
        return errorResponse("service_unavailable", { message: "shutting down", retryAfter: 1 });
      }
      if (!deps.cluster.healthy() || deps.batcher.stalled()) {
        return errorResponse("service_unavailable", {
          message: "Kafka is unreachable or the topic cannot take acks=all writes",
          retryAfter: deps.limits.retryAfterUnavailable,
        });
      }
      c.set("principal", auth.principal);
      c.set("topicConfig", topic);
      await next();
    };
  }

  function tooMany(retryAfter: number, message = "rate limit exceeded"): Response {
    return errorResponse("too_many_requests", { message, retryAfter: Math.max(1, retryAfter) });
  }

  async function produce(c: Context<Env>, route: Route): Promise<Response> {
    const started = deps.clock.now();
    const principal = c.get("principal");
    const topic = c.get("topicConfig");
    const encoding = parseContentEncoding(c.req.header("content-encoding") ?? null);
    if (!encoding.ok) {
      return errorResponse("unsupported_media_type", {
        message:
          `Content-Encoding ${encoding.coding.slice(0, 64)} is not supported; send ${ACCEPTED_ENCODINGS} ` +
          "or an uncompressed body",
        details: { supportedEncodings: ACCEPTED_ENCODINGS.split(", ") },
        headers: { "accept-encoding": ACCEPTED_ENCODINGS },
      });
    }
    const wire = await readBody(c.req.raw, deps.limits.maxBodyBytes);
    if (wire === undefined) {
      return errorResponse("payload_too_large", {
        message: `request body exceeds ${deps.limits.maxBodyBytes} bytes`,
        details: { maxBodyBytes: deps.limits.maxBodyBytes },
      });
    }
    metrics.bytes.inc({ topic: topic.name }, wire.byteLength);
    const decompressed = encoding.codings.length === 0
      ? { ok: true as const, body: wire }
      : await decodeBody(wire, encoding.codings, deps.limits.maxBodyBytes);
    if (!decompressed.ok) {
      return decompressed.reason === "too_large"
        ? errorResponse("payload_too_large", {
          message: decompressed.message,
          details: { maxBodyBytes: deps.limits.maxBodyBytes },
        })
        : errorResponse("bad_request", { message: decompressed.message });
    }
    const body = decompressed.body;

    const decoded = deps.decode(topic, body, c.req.raw.headers);
    if (!decoded.ok) return reject(topic, decoded.problem);
    const events = decoded.events;
    const invalid = deps.validate(topic.name, events);
    if (invalid) return reject(topic, invalid);
    const explicit = events.find((e) => e.record.partition !== undefined);
    const partitions = deps.cluster.partitions(topic.name);
    if (explicit && partitions !== undefined) {
      const bad = events.findIndex((e) =>
        e.record.partition !== undefined && e.record.partition >= partitions
      );
      if (bad >= 0) {
        return reject(topic, {
          status: 422,
          code: "unprocessable_entity",
          message: `event ${bad} names partition ${
            events[bad].record.partition
          }, but topic "${topic.name}" has ${partitions}`,
          details: [{ event: bad, partitions }],
        });
      }
    }
    const rate: RateDecision = events.length > 1
      ? deps.rateLimit(principal, events.length - 1, principal.rate)
      : { ok: true };
    if (!rate.ok && rate.never) {
      return errorResponse("payload_too_large", {
        message:
          `a request of ${events.length} events exceeds this principal's rate-limit burst; send fewer per request`,
      });
    }
    if (!rate.ok) return tooMany(rate.retryAfterSeconds);

    const deadline = deps.clock.now() + deps.limits.requestTimeoutMs;
    const admission = deps.batcher.produce(topic.name, events.map((e) => e.record), deadline);
    if (!admission.admitted) {
      metrics.events.inc({ topic: topic.name, outcome: "rejected" }, events.length);
      if (admission.reason === "too_large") {
        return errorResponse("payload_too_large", {
          message: "request is larger than the gateway's whole buffer",
        });
      }
      return tooMany(deps.limits.retryAfterBusy, "the gateway's buffer is full");
    }
    const ids = events.map((e) => e.id);
    if (isAsync(c)) {
      admission.outcomes.then((o) => count(topic.name, o));
      return c.json({ accepted: events.length, ids }, 202);
    }
    const outcomes = await admission.outcomes;
    count(topic.name, outcomes);
    metrics.ackLatency.observe({ route }, (deps.clock.now() - started) / 1000);
    const answer: ProduceAnswer = route === "v1"
      ? v1Answer(ids, outcomes, deps.limits.retryAfterUnavailable)
      : bridgeAnswer(outcomes, deps.limits.retryAfterUnavailable);
    const headers: Record<string, string> = {};
    if (answer.retryAfter !== undefined) headers["retry-after"] = String(answer.retryAfter);
    return c.json(answer.body, answer.status, headers);
  }

  function reject(topic: TopicConfig, p: RequestProblem): Response {
    metrics.events.inc({ topic: topic.name, outcome: "rejected" });
    return problemResponse(p);
  }

  function count(topic: string, outcomes: readonly RecordOutcome[]): void {
    let acked = 0;
    for (const o of outcomes) {
      if (o.ok) acked++;
      else metrics.produceErrors.inc({ code: o.error.code });
    }
    if (acked) metrics.events.inc({ topic, outcome: "acked" }, acked);
    if (outcomes.length - acked) metrics.events.inc({ topic, outcome: "failed" }, outcomes.length - acked);
  }

  return app;
}

/** The error codes this app answers with, for the OpenAPI document. */
export const APP_ERROR_CODES: readonly ErrorCode[] = [
  "bad_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "payload_too_large",
  "unsupported_media_type",
  "unprocessable_entity",
  "too_many_requests",
  "service_unavailable",
];

/**
 * A request body of at most `max` bytes, or undefined when it is larger. A declared Content-Length over
 * `max` is refused unread; otherwise the upload is cancelled once it passes `max` ({@link readCapped})
 * instead of being left to the server to drain.
 */
export async function readBody(req: Request, max: number): Promise<Uint8Array | undefined> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > max) return undefined;
  if (req.body === null) return new Uint8Array(0);
  return await readCapped(req.body.getReader(), max);
}

/**
 * The producer's core vocabulary. Nothing here knows HTTP frameworks or Kafka clients: decoders turn a
 * request body into `DecodedEvent`s, the batcher turns `OutboundRecord`s into acknowledged offsets.
 */

/** Per-topic settings from the topics file (YAML/JSON). Only configured topics are accepted. */
export interface TopicConfig {
  readonly name: string;
  /** JSON Schema (draft 2020-12) every plain-JSON payload of this topic must satisfy. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /** RFC 6901 pointer into a plain-JSON payload whose value becomes the Kafka key, e.g. `/user`. */
  readonly keyPointer?: string;
  /** RFC 6901 pointer into a plain-JSON payload whose value becomes the event id, e.g. `/id`. */
  readonly idPointer?: string;
  /** CloudEvents `type` written for plain-JSON events. Default `kafka-edge.event`. */
  readonly eventType?: string;
  /** CloudEvents `source` written for plain-JSON events. Default `/topics/<name>`. */
  readonly eventSource?: string;
}

/** A record as it will be written to Kafka. Headers are ordered pairs so `__proto__` is just a name. */
export interface OutboundRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: ReadonlyArray<readonly [name: string, value: string | Uint8Array]>;
  /** Explicit partition; when absent the batcher hashes the key (murmur2, as Kafka's Java client). */
  readonly partition?: number;
}

/** One event taken from a request, ready to validate and produce. */
export interface DecodedEvent {
  /** Event id (CloudEvents `id`); from the event, the topic's idPointer, `Idempotency-Key`, or generated. */
  readonly id: string;
  /** Parsed JSON payload for schema validation; `undefined` when the payload is not JSON. */
  readonly payload: unknown;
  /** Whether `payload` should be checked against the topic's JSON Schema. */
  readonly validate: boolean;
  readonly record: OutboundRecord;
}

/** Limits a decoder enforces while reading a body. */
export interface DecodeLimits {
  readonly maxEvents: number;
  readonly maxDepth: number;
  /** Largest single event value in bytes. */
  readonly maxEventBytes: number;
}

/** What a decoder may know about the request besides its body. */
export interface DecodeContext {
  readonly topic: TopicConfig;
  /** HTTP request headers (CloudEvents binary mode, Idempotency-Key, traceparent, Kafka-Key…). */
  readonly headers: Headers;
  readonly limits: DecodeLimits;
  /** Receive time, written as `ce_time` when the event has none. */
  readonly now: Date;
  /** Generates an event id when none is given (UUID v7-like, time-ordered). */
  readonly newId: () => string;
}

/** A client error found while decoding or validating; nothing of the request is produced. */
export interface RequestProblem {
  readonly status: 400 | 413 | 415 | 422;
  /** One of the codes of lib/http_error.ts, e.g. `bad_request`, `unprocessable_entity`. */
  readonly code: string;
  readonly message: string;
  /** e.g. `{ position: 17 }` for malformed JSON, or `[{ event: 3, pointer: "/user", message }]`. */
  readonly details?: unknown;
}

export type DecodeResult =
  | { readonly ok: true; readonly events: readonly DecodedEvent[] }
  | { readonly ok: false; readonly problem: RequestProblem };

/** A content-type plug-in: one implementation per media type family, one file each. */
export interface Decoder {
  /** Lower-case media types (without parameters) this decoder reads. */
  readonly mediaTypes: readonly string[];
  /** Never throws for bad input: every client mistake is a `RequestProblem`. */
  decode(body: Uint8Array, ctx: DecodeContext): DecodeResult;
}

/** Who is calling, after authentication. */
export interface Principal {
  readonly id: string;
  readonly method: "api-key" | "jwt" | "none";
  /** Topics this principal may write to; `"*"` for all configured topics. */
  readonly topics: readonly string[] | "*";
  /** Token-bucket limit for this principal; absent = the gateway default. */
  readonly rate?: RateLimit;
}

/** Token bucket: `perSecond` events refill, up to `burst`. */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly status: 401; readonly code: string; readonly message: string };

/** An auth-method plug-in: one implementation per method, one file each. */
export interface Authenticator {
  readonly method: Principal["method"];
  /** `null` when the request carries no credentials of this method (the next method is tried). */
  authenticate(headers: Headers): Promise<AuthResult | null>;
}

/**
 * The Strimzi Kafka Bridge producer format, so bridge clients can switch by changing the URL:
 * `{"records": [{"key"?, "value", "partition"?, "headers"?: [{"key", "value"}]}]}` with the embedded
 * format chosen by media type:
 *
 * - `application/vnd.kafka.json.v2+json`: key and value are any JSON, written as their exact JSON text
 *   (like the bridge, which serialises them as JSON)
 * - `application/vnd.kafka.binary.v2+json`: key and value are base64 strings
 * - `application/vnd.kafka.text.v2+json`: key and value are strings, written as UTF-8
 *
 * Header values are base64 in every format, as in the bridge. A missing or `null` key means no key;
 * in the binary and text formats a `null` value is a tombstone. `partition` must be a non-negative
 * 32-bit integer. Unknown fields are rejected rather than ignored, so a typo cannot drop data, and
 * `timestamp` is rejected because kafka-edge lets the broker set it.
 *
 * Records are written as given: no CloudEvents headers are added, only the request's `traceparent`
 * and `tracestate` when the record has no header of that name. The event id (used in responses) is
 * `Idempotency-Key-<index>` or generated. On a topic with a schema, binary and text values must be
 * JSON text and are validated like JSON values.
 *
 * @module
 */
import { decodeUtf8, type JsonSpan, parseJson, scanJson } from "../json.ts";
import type { DecodeContext, DecodedEvent, Decoder, DecodeResult } from "../types.ts";
import { decodeBase64 } from "./base64.ts";
import { checkSizes } from "./cloudevents_structured.ts";
import { type EventDetail, noEvents, unprocessable } from "./problem.ts";
import { asciiBody, fallbackId, type Header, traceHeaders, utf8 } from "./record.ts";

/** The bridge's embedded data formats. */
export type EmbeddedFormat = "json" | "binary" | "text";

const RECORD_FIELDS = new Set(["key", "value", "partition", "headers"]);
const INT32_MAX = 2 ** 31 - 1;

type Bytes = { readonly bytes: Uint8Array | null } | { readonly error: string };

/**
 * The bytes a key or value stands for. JSON keeps its exact text: a view of the body when the body is
 * ASCII (`view`), else encoded; binary and text are strings parsed from their span alone, since parsing
 * the whole record would parse the value too.
 */
function bytesOf(format: EmbeddedFormat, span: string, view: () => Uint8Array | undefined): Bytes {
  if (format === "json") return { bytes: view() ?? utf8.encode(span) };
  const raw: unknown = JSON.parse(span);
  if (raw === null) return { bytes: null };
  if (typeof raw !== "string") {
    return { error: format === "binary" ? "must be a base64 string or null" : "must be a string or null" };
  }
  if (format === "text") return { bytes: utf8.encode(raw) };
  const bytes = decodeBase64(raw);
  return bytes === undefined ? { error: "must be valid base64" } : { bytes };
}

function recordHeaders(raw: unknown, problem: (pointer: string, message: string) => void): Header[] {
  const headers: Header[] = [];
  if (raw === undefined || raw === null) return headers;
  if (!Array.isArray(raw)) {
    problem("/headers", "must be an array of {key, value} objects");
    return headers;
  }
  raw.forEach((header: unknown, j) => {
    const h = typeof header === "object" && header !== null && !Array.isArray(header)
      ? header as Record<string, unknown>
      : undefined;
    const name = h && Object.hasOwn(h, "key") ? h.key : undefined;
    const value = h && Object.hasOwn(h, "value") ? h.value : undefined;
    if (typeof name !== "string" || name === "") {
      problem(`/headers/${j}/key`, "must be a non-empty string");
      return;
    }
    const bytes = typeof value === "string" ? decodeBase64(value) : undefined;
    if (bytes === undefined) problem(`/headers/${j}/value`, "must be a base64 string");
    else headers.push([name, bytes]);
  });
  return headers;
}

// Binary and text values are opaque, but a topic with a schema promises its consumers valid JSON.
function schemaPayload(
  ctx: DecodeContext,
  value: Uint8Array | null,
): { payload: unknown } | { message: string } {
  if (value === null) return { message: "must not be null (a tombstone) on a topic with a schema" };
  const text = decodeUtf8(value);
  if (!text.ok) return { message: "must be UTF-8 JSON text on a topic with a schema" };
  const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth });
  const parsed = scan.ok ? parseJson(text.value) : scan;
  if (!parsed.ok) return { message: `must be JSON text on a topic with a schema: ${parsed.problem.message}` };
  return { payload: parsed.value };
}

/** A record's JSON text: `text` from `start` to `end`; `ascii` is the request body when it is all ASCII. */
interface RecordSource {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly ascii: Uint8Array | undefined;
}

function record(
  ctx: DecodeContext,
  format: EmbeddedFormat,
  src: RecordSource,
  index: number,
  details: EventDetail[],
): DecodedEvent | undefined {
  const before = details.length;
  const problem = (pointer: string, message: string) => details.push({ event: index, pointer, message });
  const json = src.text.slice(src.start, src.end);
  const scan = scanJson(json, { maxDepth: Infinity });
  if (!scan.ok || scan.kind !== "object") {
    problem("", "must be an object with a value");
    return undefined;
  }
  // Each field is parsed from its own span (scanJson has checked the syntax), the last of a repeated name
  // winning as in JSON.parse; a JSON value is never parsed unless a schema needs it.
  const spans = new Map<string, JsonSpan>();
  for (const { name, value } of scan.members) {
    if (name === "timestamp") problem("/timestamp", "is not supported: the broker sets the timestamp");
    else if (!RECORD_FIELDS.has(name)) problem(`/${name}`, "is not a Kafka Bridge record field");
    else spans.set(name, value);
  }
  const textOf = (name: string) => {
    const span = spans.get(name);
    return span === undefined ? undefined : json.slice(span.start, span.end);
  };
  const viewOf = (name: string) => () => {
    const span = spans.get(name)!;
    return src.ascii?.subarray(src.start + span.start, src.start + span.end);
  };
  const valueSpan = textOf("value");
  if (valueSpan === undefined) problem("/value", "is required");
  const valueBytes = valueSpan === undefined ? { bytes: null } : bytesOf(format, valueSpan, viewOf("value"));
  if ("error" in valueBytes) problem("/value", valueBytes.error);
  const keySpan = textOf("key");
  const keyBytes = keySpan === undefined || keySpan === "null"
    ? { bytes: null }
    : bytesOf(format, keySpan, viewOf("key"));
  if ("error" in keyBytes) problem("/key", keyBytes.error);
  const partitionSpan = textOf("partition");
  const partition: unknown = partitionSpan === undefined ? undefined : JSON.parse(partitionSpan);
  if (
    partitionSpan !== undefined &&
    !(Number.isInteger(partition) && (partition as number) >= 0 && (partition as number) <= INT32_MAX)
  ) {
    problem("/partition", "must be an integer from 0 to 2147483647");
  }
  const headersSpan = textOf("headers");
  const headers = recordHeaders(headersSpan === undefined ? undefined : JSON.parse(headersSpan), problem);

  let payload: unknown = undefined;
  let validate = false;
  if (format === "json" && valueSpan !== undefined) {
    if (ctx.topic.schema !== undefined) {
      payload = JSON.parse(valueSpan);
      validate = true;
    }
  } else if (ctx.topic.schema !== undefined && "bytes" in valueBytes) {
    const checked = schemaPayload(ctx, valueBytes.bytes);
    if ("message" in checked) problem("/value", checked.message);
    else {
      payload = checked.payload;
      validate = true;
    }
  }
  if (details.length > before || !("bytes" in valueBytes) || !("bytes" in keyBytes)) return undefined;
  headers.push(...traceHeaders(ctx, headers));
  return {
    id: fallbackId(ctx, index, true),
    payload,
    validate,
    record: {
      key: keyBytes.bytes,
      value: valueBytes.bytes,
      headers,
      ...(partitionSpan !== undefined ? { partition: partition as number } : {}),
    },
  };
}

function decodeRecords(format: EmbeddedFormat, body: Uint8Array, ctx: DecodeContext): DecodeResult {
  const text = decodeUtf8(body);
  if (!text.ok) return text;
  const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth });
  if (!scan.ok) return scan;
  const shape = (pointer: string, message: string): DecodeResult => ({
    ok: false,
    problem: unprocessable("not a Kafka Bridge request", [{ event: 0, pointer, message }]),
  });
  if (scan.kind !== "object") return shape("", `must be an object: {"records": [...]}`);
  let records: string | undefined;
  let recordsStart = 0;
  for (const { name, value } of scan.members) {
    if (name !== "records") return shape(`/${name}`, "is not a Kafka Bridge request field");
    records = text.value.slice(value.start, value.end);
    recordsStart = value.start;
  }
  if (records === undefined) return shape("/records", "is required");
  const list = scanJson(records, { maxDepth: Infinity, maxEvents: ctx.limits.maxEvents });
  if (!list.ok) return list;
  if (list.kind !== "array") return shape("/records", "must be an array");
  if (list.elements.length === 0) return { ok: false, problem: noEvents("records") };

  const details: EventDetail[] = [];
  const events: DecodedEvent[] = [];
  const ascii = asciiBody(body, text.value);
  list.elements.forEach((span, index) => {
    const src = {
      text: text.value,
      start: recordsStart + span.start,
      end: recordsStart + span.end,
      ascii,
    };
    const event = record(ctx, format, src, index, details);
    if (event) events.push(event);
  });
  if (details.length > 0) {
    return { ok: false, problem: unprocessable("invalid Kafka Bridge records", details) };
  }
  return checkSizes(ctx, events);
}

function bridgeDecoder(format: EmbeddedFormat): Decoder {
  return {
    mediaTypes: [`application/vnd.kafka.${format}.v2+json`],
    decode: (body, ctx) => decodeRecords(format, body, ctx),
  };
}

/** Bridge records with JSON keys and values. */
export const kafkaJsonV2Decoder: Decoder = bridgeDecoder("json");
/** Bridge records with base64 keys and values. */
export const kafkaBinaryV2Decoder: Decoder = bridgeDecoder("binary");
/** Bridge records with string keys and values. */
export const kafkaTextV2Decoder: Decoder = bridgeDecoder("text");

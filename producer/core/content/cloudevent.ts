/**
 * CloudEvents 1.0 shared by the structured, batch and binary HTTP modes: attribute rules, and the
 * mapping to a Kafka record in binary mode (CloudEvents Kafka protocol binding):
 *
 * - every attribute becomes a `ce_<name>` header (ce_specversion, ce_id, ce_source, ce_type, ce_time,
 *   ce_subject, ce_dataschema, then extensions in the order received); `datacontenttype` becomes
 *   `content-type` instead, as the binding requires
 * - `ce_time` is the receive time when the event has none
 * - the `partitionkey` extension is the Kafka key; without it the id is, as for plain events
 * - the value is the data: the exact JSON text of `data` for JSON content types, the UTF-8 of a
 *   string `data` for other types, the decoded bytes of `data_base64`, or empty without data
 * - only JSON data (datacontenttype absent, `*\/json` or `*\/*+json`) is checked against the schema
 *
 * Extension values must be strings, 32-bit integers or booleans and are written as text, since Kafka
 * headers carry no type.
 *
 * @module
 */
import { isJsonContentType, isRfc3339 } from "../../../lib/envelope.ts";
import { decodeUtf8, parseJson, scanJson } from "../json.ts";
import type { DecodeContext, DecodedEvent } from "../types.ts";
import { parseMediaType } from "./media_type.ts";
import type { EventDetail } from "./problem.ts";
import { type Header, traceHeaders, utf8 } from "./record.ts";

/** The data of a CloudEvent as received. */
export type CloudEventData =
  | { readonly kind: "none" }
  /** `data` of a structured event, with its exact JSON text. */
  | { readonly kind: "json"; readonly text: string; readonly value: unknown }
  /** `data_base64`, or a binary-mode body. */
  | { readonly kind: "bytes"; readonly bytes: Uint8Array };

/** Where attributes came from, for error details. */
export type AttributeOrigin = "json" | "header";

const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const OPTIONAL = ["subject", "dataschema"] as const;
const INT32_MAX = 2 ** 31 - 1;

function locate(origin: AttributeOrigin, name: string): { pointer: string } | { header: string } {
  return origin === "json" ? { pointer: `/${name}` } : { header: `ce-${name}` };
}

/**
 * Checks attributes and builds the event, or pushes what is wrong onto `details`. `attributes` are in
 * received order; `null` values count as absent (JSON format rule).
 */
export function cloudEvent(
  ctx: DecodeContext,
  index: number,
  origin: AttributeOrigin,
  attributes: ReadonlyArray<readonly [string, unknown]>,
  data: CloudEventData,
  details: EventDetail[],
): DecodedEvent | undefined {
  const before = details.length;
  const problem = (name: string, message: string) =>
    details.push({ event: index, ...locate(origin, name), message });
  const attrs = new Map<string, unknown>();
  for (const [name, value] of attributes) if (value !== null && value !== undefined) attrs.set(name, value);

  const text = (name: string, required: boolean): string | undefined => {
    const value = attrs.get(name);
    if (value === undefined) {
      if (required) problem(name, "is required");
      return undefined;
    }
    if (typeof value !== "string" || value === "") {
      problem(name, "must be a non-empty string");
      return undefined;
    }
    return value;
  };

  const specversion = attrs.get("specversion");
  if (specversion === undefined) problem("specversion", "is required");
  else if (specversion !== "1.0") problem("specversion", `must be "1.0"`);
  const id = text("id", true);
  const source = text("source", true);
  const type = text("type", true);
  const time = text("time", false);
  if (time !== undefined && !isRfc3339(time)) {
    problem("time", "must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z");
  }
  const optional: Header[] = [];
  for (const name of OPTIONAL) {
    const value = text(name, false);
    if (value === undefined) continue;
    if (name === "dataschema" && !URL.canParse(value)) problem(name, "must be an absolute URI");
    optional.push([`ce_${name}`, value]);
  }
  const datacontenttype = text("datacontenttype", false);
  if (datacontenttype !== undefined && parseMediaType(datacontenttype) === undefined) {
    problem("datacontenttype", "must be a media type such as application/json");
  }

  const extensions: Header[] = [];
  let partitionKey: string | undefined;
  for (const [name, value] of attrs) {
    if (CORE.has(name)) continue;
    if (!EXTENSION_NAME.test(name)) {
      problem(name, "is not a valid attribute name (1-20 lowercase letters or digits)");
      continue;
    }
    const valueText = typeof value === "string"
      ? value
      : typeof value === "boolean" || (Number.isInteger(value) && Math.abs(value as number) <= INT32_MAX)
      ? String(value)
      : undefined;
    if (valueText === undefined) {
      problem(name, "must be a string, a 32-bit integer or a boolean");
      continue;
    }
    if (name === "partitionkey") partitionKey = valueText;
    extensions.push([`ce_${name}`, valueText]);
  }

  const payload = eventData(ctx, data, datacontenttype, origin);
  if (!payload.ok) problem(payload.name, payload.message);
  if (details.length > before || !payload.ok || id === undefined) return undefined;

  const contentType = datacontenttype ?? (data.kind === "json" ? "application/json" : undefined);
  const headers: Header[] = [
    ["ce_specversion", "1.0"],
    ["ce_id", id],
    ["ce_source", source!],
    ["ce_type", type!],
    ["ce_time", time ?? ctx.now.toISOString()],
    ...optional,
    ...extensions,
    ...(contentType === undefined ? [] : [["content-type", contentType] as const]),
  ];
  headers.push(...traceHeaders(ctx, headers));
  return {
    id,
    payload: payload.payload,
    validate: payload.validate,
    record: { key: utf8.encode(partitionKey ?? id), value: payload.value, headers },
  };
}

const CORE = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "time",
  "subject",
  "dataschema",
  "datacontenttype",
]);

type Payload =
  | { readonly ok: true; readonly value: Uint8Array; readonly payload: unknown; readonly validate: boolean }
  | { readonly ok: false; readonly name: string; readonly message: string };

function eventData(
  ctx: DecodeContext,
  data: CloudEventData,
  datacontenttype: string | undefined,
  origin: AttributeOrigin,
): Payload {
  const json = datacontenttype === undefined || isJsonContentType(datacontenttype);
  if (data.kind === "none") {
    return { ok: true, value: new Uint8Array(0), payload: undefined, validate: false };
  }
  if (data.kind === "json") {
    if (json) return { ok: true, value: utf8.encode(data.text), payload: data.value, validate: true };
    if (typeof data.value !== "string") {
      return {
        ok: false,
        name: "data",
        message: `must be a string when datacontenttype is ${datacontenttype}; send bytes as data_base64`,
      };
    }
    return { ok: true, value: utf8.encode(data.value), payload: undefined, validate: false };
  }
  // Without a datacontenttype, bytes are opaque: there is nothing saying they are JSON.
  if (datacontenttype === undefined || !json || data.bytes.length === 0) {
    return { ok: true, value: data.bytes, payload: undefined, validate: false };
  }
  const name = origin === "json" ? "data_base64" : "data";
  const text = decodeUtf8(data.bytes);
  if (!text.ok) {
    return { ok: false, name, message: `is not UTF-8 JSON although datacontenttype is ${datacontenttype}` };
  }
  const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth });
  const parsed = scan.ok ? parseJson(text.value) : scan;
  if (!parsed.ok) {
    return {
      ok: false,
      name,
      message: `is not valid JSON although datacontenttype is ${datacontenttype}: ${parsed.problem.message}`,
    };
  }
  return { ok: true, value: data.bytes, payload: parsed.value, validate: true };
}

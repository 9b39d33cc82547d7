/**
 * The event envelope used across kafka-edge, with CloudEvents 1.0 attribute names, and its mapping
 * to Kafka records per the CloudEvents Kafka protocol binding.
 *
 * We write binary mode (attributes as `ce_*` headers, data as the raw value) because consumers that
 * know nothing about CloudEvents still see the plain payload. We read binary mode, structured mode,
 * and — since topics are also fed by foreign producers — plain JSON and raw bytes, synthesizing
 * the attributes they lack.
 *
 * Extension values are carried as strings: binary mode loses their CloudEvents type anyway.
 * A Uint8Array `data` is sent byte for byte; it decodes as parsed JSON when its datacontenttype is
 * JSON, and an empty payload always decodes to `data: undefined`.
 *
 * @module
 */

/** A CloudEvents 1.0 event plus the Kafka placement we give it. */
export interface Envelope {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly specversion: "1.0";
  /** RFC 3339 timestamp. */
  readonly time?: string;
  readonly subject?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly data: unknown;
  /** Kafka message key; defaults to the `partitionkey` extension. */
  readonly key?: string;
  /** Kafka headers that are not CloudEvents attributes (e.g. traceparent). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly partition?: number;
  /** Extension attributes; names lowercase alphanumeric, at most 20 characters. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** What we hand to a Kafka producer. */
export interface KafkaRecord {
  readonly key: string | null;
  readonly value: Uint8Array | string;
  readonly headers: Readonly<Record<string, string>>;
  readonly partition?: number;
}

/** Header value as kafkajs delivers it (Buffer is a Uint8Array). */
export type HeaderValue = Uint8Array | string | readonly (Uint8Array | string)[] | undefined;

/** What we receive from a Kafka consumer; kafkajs messages fit this shape. */
export interface IncomingRecord {
  readonly key?: Uint8Array | string | null;
  readonly value: Uint8Array | string | null;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  /** Epoch milliseconds as a string, as kafkajs reports it. */
  readonly timestamp?: string;
}

/** How a record was understood. */
export type DecodeMode = "binary" | "structured" | "json" | "raw";

/** Why an envelope could not be encoded or decoded. */
export type EnvelopeErrorCode =
  | "invalid_envelope"
  | "unsupported_specversion"
  | "invalid_data"
  | "invalid_structured"
  | "tombstone";

/** A typed encode/decode failure listing every attribute problem. */
export class EnvelopeError extends Error {
  readonly code: EnvelopeErrorCode;
  readonly problems: readonly string[];

  constructor(code: EnvelopeErrorCode, problems: readonly string[]) {
    super(`${code}: ${problems.join("; ")}`);
    this.name = "EnvelopeError";
    this.code = code;
    this.problems = problems;
  }
}

/**
 * Outcome of decoding; `raw` keeps the original bytes when attributes had to be synthesized; `dataJson` is
 * set only with {@link DecodeOptions.jsonDataAsBytes} (the envelope's `data` is then undefined).
 */
export type DecodeResult =
  | {
    readonly ok: true;
    readonly envelope: Envelope;
    readonly mode: DecodeMode;
    readonly raw?: Uint8Array;
    readonly dataJson?: Uint8Array;
  }
  | { readonly ok: false; readonly error: EnvelopeError };

/** Fallbacks for records that are not CloudEvents. */
export interface DecodeOptions {
  /** Default `/kafka/<topic>`. */
  readonly source?: string;
  /** Default {@link RAW_EVENT_TYPE}. */
  readonly type?: string;
  /** Used only when the record has no topic/partition/offset to derive an id from. */
  readonly newId?: () => string;
  /** The record's headers already decoded by {@link decodeHeaders}; saves decoding them twice. */
  readonly headerTexts?: Readonly<Record<string, string>>;
  /**
   * Binary mode with a JSON content type: leave the data undecoded and return it as `dataJson`, the value's
   * bytes, checked to be neither UTF-8 nor JSON; `envelope.data` is then undefined. For a store that checks
   * and parses JSON itself (PostgreSQL's jsonb): decoding, parsing and re-serialising every payload here was
   * most of what the worker spent per event on the way to it. Every attribute is still checked.
   */
  readonly jsonDataAsBytes?: boolean;
}

/** `type` given to records that carried none. */
export const RAW_EVENT_TYPE = "kafka-edge.raw";

/** Content type marking structured mode. */
export const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";

/** The CloudEvents 1.0 context attributes an envelope carries at top level (extensions aside). */
export const CORE_ATTRIBUTES: readonly string[] = [
  "id",
  "source",
  "type",
  "specversion",
  "time",
  "subject",
  "datacontenttype",
  "dataschema",
];
const RESERVED = new Set([...CORE_ATTRIBUTES, "data", "data_base64"]);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder();

/** True for a valid RFC 3339 date-time such as 2024-05-01T12:00:00.5+02:00. */
export function isRfc3339(value: string): boolean {
  const m = RFC3339.exec(value);
  if (!m) return false;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  // Round-tripping through Date.UTC catches 2023-02-29; days up to 28 exist in every month, so the
  // consume path (one check per record) skips it for them. Second 60 is RFC 3339's leap second.
  const dayExists = day >= 1 &&
    (day <= 28 || new Date(Date.UTC(Number(m[1]), month - 1, day)).getUTCDate() === day);
  return month >= 1 && month <= 12 && dayExists && Number(m[4]) <= 23 && Number(m[5]) <= 59 &&
    Number(m[6]) <= 60 && offsetOk;
}

/** True when a media type carries JSON (application/json, text/json, anything+json). */
export function isJsonContentType(contentType: string): boolean {
  const essence = contentType.split(";")[0].trim().toLowerCase();
  return essence === "application/json" || essence === "text/json" || essence.endsWith("+json");
}

function isTextContentType(contentType: string): boolean {
  const lower = contentType.toLowerCase();
  return lower.startsWith("text/") || lower.includes("charset=") || /\/(xml|[\w.-]+\+xml)\b/.test(lower);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array);
}

function checkString(problems: string[], name: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== "string" || value === "") problems.push(`${name}: must be a non-empty string`);
}

/** Every rule `value` breaks as an {@link Envelope}; empty when valid. */
export function validateEnvelope(value: unknown): readonly string[] {
  if (!isPlainObject(value)) return ["envelope: must be an object"];
  const e = value;
  const problems: string[] = [];
  checkString(problems, "id", e.id, true);
  checkString(problems, "source", e.source, true);
  checkString(problems, "type", e.type, true);
  if (e.specversion !== "1.0") problems.push('specversion: must be "1.0"');
  checkString(problems, "subject", e.subject, false);
  if (e.time !== undefined && (typeof e.time !== "string" || !isRfc3339(e.time))) {
    problems.push("time: must be an RFC 3339 timestamp such as 2024-05-01T12:00:00Z");
  }
  if (
    e.datacontenttype !== undefined &&
    (typeof e.datacontenttype !== "string" || !MEDIA_TYPE.test(e.datacontenttype))
  ) {
    problems.push("datacontenttype: must be a media type such as application/json");
  }
  if (e.dataschema !== undefined && (typeof e.dataschema !== "string" || !URL.canParse(e.dataschema))) {
    problems.push("dataschema: must be an absolute URI");
  }
  if (e.key !== undefined && typeof e.key !== "string") problems.push("key: must be a string");
  if (e.partition !== undefined && !(Number.isSafeInteger(e.partition) && (e.partition as number) >= 0)) {
    problems.push("partition: must be a non-negative integer");
  }
  validateExtensions(problems, e.extensions);
  validateHeaders(problems, e.headers);
  return problems;
}

function validateExtensions(problems: string[], extensions: unknown): void {
  if (extensions === undefined) return;
  if (!isPlainObject(extensions)) {
    problems.push("extensions: must be an object");
    return;
  }
  for (const [name, value] of Object.entries(extensions)) {
    if (!EXTENSION_NAME.test(name)) {
      problems.push(`extensions.${name}: name must be 1-20 lowercase letters or digits`);
    } else if (RESERVED.has(name)) {
      problems.push(`extensions.${name}: name is a core attribute`);
    }
    if (typeof value !== "string") problems.push(`extensions.${name}: must be a string`);
  }
}

function validateHeaders(problems: string[], headers: unknown): void {
  if (headers === undefined) return;
  if (!isPlainObject(headers)) {
    problems.push("headers: must be an object");
    return;
  }
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith("ce_") || lower === "content-type") {
      problems.push(`headers.${name}: is reserved for CloudEvents attributes`);
    }
    if (typeof value !== "string") problems.push(`headers.${name}: must be a string`);
  }
}

function assertValid(envelope: Envelope): void {
  const problems = validateEnvelope(envelope);
  if (problems.length > 0) throw new EnvelopeError("invalid_envelope", problems);
}

function encodeData(
  data: unknown,
  datacontenttype: string | undefined,
): { readonly value: Uint8Array | string; readonly contentType?: string } {
  if (data === undefined) return { value: "", contentType: datacontenttype };
  if (data instanceof Uint8Array) {
    return { value: data, contentType: datacontenttype ?? "application/octet-stream" };
  }
  const contentType = datacontenttype ?? "application/json";
  if (isJsonContentType(contentType)) {
    try {
      return { value: JSON.stringify(data), contentType };
    } catch (err) {
      throw new EnvelopeError("invalid_data", [
        `data: cannot be serialized as JSON (${(err as Error).message})`,
      ]);
    }
  }
  if (typeof data === "string") return { value: data, contentType };
  throw new EnvelopeError("invalid_data", [
    `data: must be a string or bytes for datacontenttype ${contentType}`,
  ]);
}

/**
 * Encodes in CloudEvents Kafka binary mode.
 * @throws {EnvelopeError} when the envelope is invalid or its data does not fit its content type.
 */
export function toKafkaRecord(envelope: Envelope): KafkaRecord {
  assertValid(envelope);
  const { value, contentType } = encodeData(envelope.data, envelope.datacontenttype);
  const headers: Record<string, string> = {};
  for (const name of CORE_ATTRIBUTES) {
    const attr = (envelope as unknown as Record<string, unknown>)[name];
    if (name !== "datacontenttype" && typeof attr === "string") headers[`ce_${name}`] = attr;
  }
  for (const [name, attr] of Object.entries(envelope.extensions ?? {})) headers[`ce_${name}`] = attr;
  if (contentType !== undefined) headers["content-type"] = contentType;
  Object.assign(headers, envelope.headers);
  return {
    key: envelope.key ?? envelope.extensions?.partitionkey ?? null,
    value,
    headers,
    ...(envelope.partition === undefined ? {} : { partition: envelope.partition }),
  };
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The CloudEvents JSON event format of an envelope (no Kafka placement). */
export function toCloudEventJson(envelope: Envelope): Record<string, unknown> {
  assertValid(envelope);
  const out: Record<string, unknown> = { specversion: "1.0" };
  for (const name of CORE_ATTRIBUTES) {
    const attr = (envelope as unknown as Record<string, unknown>)[name];
    if (attr !== undefined) out[name] = attr;
  }
  Object.assign(out, envelope.extensions);
  const { data, datacontenttype } = envelope;
  if (data instanceof Uint8Array) out.data_base64 = toBase64(data);
  else if (data !== undefined) {
    if (datacontenttype && !isJsonContentType(datacontenttype) && typeof data !== "string") {
      throw new EnvelopeError("invalid_data", [
        `data: must be a string or bytes for datacontenttype ${datacontenttype}`,
      ]);
    }
    out.data = data;
  }
  return out;
}

/** Encodes in CloudEvents Kafka structured mode (whole event as JSON in the value). */
export function toStructuredKafkaRecord(envelope: Envelope): KafkaRecord {
  const value = JSON.stringify(toCloudEventJson(envelope));
  return {
    key: envelope.key ?? envelope.extensions?.partitionkey ?? null,
    value,
    headers: { ...envelope.headers, "content-type": STRUCTURED_CONTENT_TYPE },
    ...(envelope.partition === undefined ? {} : { partition: envelope.partition }),
  };
}

/** Parses a CloudEvents JSON object (e.g. an HTTP structured-mode body) into an envelope. */
export function fromCloudEventJson(
  json: unknown,
  placement: Pick<Envelope, "key" | "headers" | "partition"> = {},
): DecodeResult {
  if (!isPlainObject(json)) return fail("invalid_structured", ["event: must be a JSON object"]);
  if (json.specversion !== undefined && json.specversion !== "1.0") {
    return fail("unsupported_specversion", [
      `specversion: ${JSON.stringify(json.specversion)} is not supported`,
    ]);
  }
  const attrs: Record<string, unknown> = {};
  const extensions: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(json)) {
    if (CORE_ATTRIBUTES.includes(name)) attrs[name] = value;
    else if (name !== "data" && name !== "data_base64") {
      extensions[name] = typeof value === "number" || typeof value === "boolean" ? String(value) : value;
    }
  }
  let data: unknown = json.data;
  if (json.data_base64 !== undefined) {
    try {
      data = fromBase64(String(json.data_base64));
    } catch {
      return fail("invalid_data", ["data_base64: must be base64"]);
    }
  }
  return build("structured", { ...attrs, data, extensions, ...placement });
}

function fail(code: EnvelopeErrorCode, problems: readonly string[]): DecodeResult {
  return { ok: false, error: new EnvelopeError(code, problems) };
}

// Drops undefined and empty collections so decoded envelopes compare equal to the ones encoded.
function build(mode: DecodeMode, fields: Record<string, unknown>, raw?: Uint8Array): DecodeResult {
  const envelope: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined && name !== "data") continue;
    if (
      isPlainObject(value) && (name === "extensions" || name === "headers") && Object.keys(value).length === 0
    ) {
      continue;
    }
    envelope[name] = value;
  }
  const problems = validateEnvelope(envelope);
  if (problems.length > 0) return fail("invalid_envelope", problems);
  return { ok: true, envelope: envelope as unknown as Envelope, mode, ...(raw ? { raw } : {}) };
}

// The binary-mode case of build(), without its generic copy: it runs once per consumed record. Same output.
function buildBinary(
  attrs: Record<string, string>,
  datacontenttype: string | undefined,
  data: unknown,
  extensions: Record<string, string>,
  placement: { key?: string; headers: Record<string, string>; partition?: number },
): DecodeResult {
  const envelope: Record<string, unknown> = { ...attrs, data };
  if (datacontenttype !== undefined) envelope.datacontenttype = datacontenttype;
  for (const _ in extensions) {
    envelope.extensions = extensions;
    break;
  }
  if (placement.key !== undefined) envelope.key = placement.key;
  for (const _ in placement.headers) {
    envelope.headers = placement.headers;
    break;
  }
  if (placement.partition !== undefined) envelope.partition = placement.partition;
  const problems = validateEnvelope(envelope);
  if (problems.length > 0) return fail("invalid_envelope", problems);
  return { ok: true, envelope: envelope as unknown as Envelope, mode: "binary" };
}

function headerText(value: HeaderValue): string | undefined {
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (last === undefined) return undefined;
  return typeof last === "string" ? last : lenientUtf8.decode(last as Uint8Array);
}

/**
 * Kafka headers as UTF-8 text; for a repeated name the last value wins (as Java's `Headers.lastHeader`).
 * Pass the result to {@link fromKafkaRecord} (`options.headerTexts`) when you need both, so each header is
 * decoded once.
 */
export function decodeHeaders(headers: Readonly<Record<string, HeaderValue>>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const name in headers) {
    const text = headerText(headers[name]);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === "string" ? utf8.encode(value) : value;
}

function decodeData(
  value: Uint8Array | string | null,
  contentType: string | undefined,
  jsonAsBytes = false,
): { data: unknown; json?: Uint8Array } | undefined {
  if (value === null || value.length === 0) return { data: undefined };
  if (contentType && isJsonContentType(contentType)) {
    if (jsonAsBytes) return { data: undefined, json: toBytes(value) };
    try {
      return { data: JSON.parse(typeof value === "string" ? value : strictUtf8.decode(value)) };
    } catch {
      return undefined;
    }
  }
  if (contentType && isTextContentType(contentType)) {
    return { data: typeof value === "string" ? value : lenientUtf8.decode(value) };
  }
  return { data: toBytes(value) };
}

function keyText(key: IncomingRecord["key"]): string | undefined {
  if (key === undefined || key === null) return undefined;
  return typeof key === "string" ? key : lenientUtf8.decode(key);
}

/**
 * Decodes a consumed record: binary mode (`ce_specversion` header), structured mode
 * (application/cloudevents+json), a plain JSON value, or raw bytes.
 */
export function fromKafkaRecord(record: IncomingRecord, options: DecodeOptions = {}): DecodeResult {
  const attrs: Record<string, string> = {};
  const extensions: Record<string, string> = {};
  const headers: Record<string, string> = {};
  let contentType: string | undefined;
  const texts = options.headerTexts ?? decodeHeaders(record.headers ?? {});
  for (const name in texts) {
    const text = texts[name];
    const lower = name.toLowerCase();
    if (lower === "content-type") contentType = text;
    else if (lower.startsWith("ce_")) {
      const attr = lower.slice(3);
      if (CORE_ATTRIBUTES.includes(attr)) attrs[attr] = text;
      else extensions[attr] = text;
    } else headers[name] = text;
  }
  const placement = { key: keyText(record.key), headers, partition: record.partition };

  if (attrs.specversion !== undefined) {
    if (attrs.specversion !== "1.0") {
      return fail("unsupported_specversion", [`ce_specversion: "${attrs.specversion}" is not supported`]);
    }
    // The binding maps datacontenttype to content-type; accept the ce_ spelling from lenient producers.
    const datacontenttype = contentType ?? attrs.datacontenttype;
    const decoded = decodeData(record.value, datacontenttype, options.jsonDataAsBytes);
    if (!decoded) return fail("invalid_data", [`data: is not valid ${datacontenttype}`]);
    const built = buildBinary(attrs, datacontenttype, decoded.data, extensions, placement);
    return built.ok && decoded.json !== undefined ? { ...built, dataJson: decoded.json } : built;
  }
  if (record.value === null) return fail("tombstone", ["value: is null (a tombstone), not an event"]);
  const bytes = toBytes(record.value);
  const text = (() => {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return undefined;
    }
  })();
  const structured = contentType?.toLowerCase().startsWith("application/cloudevents+json");
  let json: unknown = undefined;
  let isJson = false;
  if (text !== undefined && (structured || !contentType || isJsonContentType(contentType))) {
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      if (structured) return fail("invalid_structured", ["value: is not valid JSON"]);
    }
  }
  // Structured events sent without the proper content type are still recognisable by their attributes.
  if (
    structured ||
    (isJson && isPlainObject(json) && json.specversion === "1.0" && "id" in json && "type" in json)
  ) {
    return fromCloudEventJson(json, placement);
  }
  return synthesize(
    record,
    options,
    placement,
    isJson ? { data: json, contentType: "application/json" } : {
      data: contentType && isTextContentType(contentType) && text !== undefined ? text : bytes,
      contentType: contentType ?? "application/octet-stream",
    },
    bytes,
    isJson ? "json" : "raw",
  );
}

function synthesize(
  record: IncomingRecord,
  options: DecodeOptions,
  placement: Record<string, unknown>,
  payload: { readonly data: unknown; readonly contentType: string },
  raw: Uint8Array,
  mode: DecodeMode,
): DecodeResult {
  // Deriving the id from the record's position makes redeliveries share an id, so consumers can dedupe.
  const positioned = record.topic !== undefined && record.partition !== undefined &&
    record.offset !== undefined;
  const id = positioned
    ? `${record.topic}-${record.partition}-${record.offset}`
    : (options.newId ?? (() => crypto.randomUUID()))();
  const millis = record.timestamp === undefined ? NaN : Number(record.timestamp);
  return build(mode, {
    id,
    source: options.source ?? `/kafka/${record.topic ?? "unknown"}`,
    type: options.type ?? RAW_EVENT_TYPE,
    specversion: "1.0",
    time: Number.isFinite(millis) ? new Date(millis).toISOString() : undefined,
    datacontenttype: payload.contentType,
    data: payload.data,
    ...placement,
  }, raw);
}

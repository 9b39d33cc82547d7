/**
 * Pure parts of the S3 sink: NDJSON lines, deterministic object keys, where one object ends and the next
 * begins, gzip, and the classification of S3 error answers.
 */
import { toCloudEventJson } from "@kafka-edge/lib";
import { SinkError, type SinkRecord } from "../core/sink.ts";

/** `cloudevent`: each line is the CloudEvent JSON; `raw`: each line is the record value, which must be JSON. */
export type LineFormat = "cloudevent" | "raw";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * One NDJSON line (without the newline) for a record.
 * @throws {SinkError} permanent, when the record cannot be a line in this format.
 */
export function recordLine(record: SinkRecord, format: LineFormat): string {
  if (format === "cloudevent") {
    try {
      return JSON.stringify(toCloudEventJson(record.event));
    } catch (err) {
      throw new SinkError(`cannot render the event as JSON: ${(err as Error).message}`, "permanent");
    }
  }
  if (record.value === null) throw new SinkError("raw format: record has no value (tombstone)", "permanent");
  let text: string;
  let parsed: unknown;
  try {
    text = strictUtf8.decode(record.value);
    parsed = JSON.parse(text);
  } catch {
    throw new SinkError("raw format: value is not UTF-8 JSON; use the cloudevent format", "permanent");
  }
  // Keep the producer's bytes when they already fit on one line (number precision, key order).
  return /[\r\n]/.test(text) ? JSON.stringify(parsed) : text.trim();
}

/** UTF-8 size of a line plus its newline. */
export function lineBytes(line: string): number {
  return encoder.encode(line).length + 1;
}

const HOUR_MS = 3_600_000;

/** The UTC hour a Kafka timestamp falls in; objects never span two. */
export function hourOf(timestampMs: number): number {
  return Math.floor(timestampMs / HOUR_MS);
}

/** Offsets are zero-padded to int64 width so a listing sorts in offset order. */
export function padOffset(offset: string): string {
  return offset.padStart(19, "0");
}

/** Where an object lives. */
export interface ObjectPlace {
  readonly prefix: string;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
  /** Kafka timestamp of the first record; gives the date and hour. */
  readonly timestamp: number;
}

/** A prefix always ends with "/" unless empty, so "raw" and "raw/" mean the same. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "");
  return trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

/**
 * `{prefix}topic=<t>/date=<yyyy-mm-dd>/hour=<HH>/part-<partition>-<first>-<last>.ndjson.gz`: a function of
 * the records alone, so replaying the same range overwrites the same object.
 */
export function objectKey(place: ObjectPlace): string {
  const iso = new Date(place.timestamp).toISOString();
  return `${normalizePrefix(place.prefix)}topic=${place.topic}/date=${iso.slice(0, 10)}/hour=${
    iso.slice(11, 13)
  }/` +
    `part-${place.partition}-${padOffset(place.firstOffset)}-${padOffset(place.lastOffset)}.ndjson.gz`;
}

/** Limits on one object, all checked against uncompressed NDJSON. */
export interface ObjectLimits {
  readonly maxBytes: number;
  readonly maxRecords: number;
}

/** What an open object holds so far. */
export interface OpenObject {
  readonly count: number;
  readonly bytes: number;
  readonly hour: number;
}

/**
 * Whether the next line must start a new object: the current one would exceed a limit, or the line is in
 * another hour. Only record contents decide, never arrival times, so the same records cut the same way.
 */
export function mustCut(
  open: OpenObject,
  line: { readonly bytes: number; readonly hour: number },
  limits: ObjectLimits,
): boolean {
  if (open.count === 0) return false;
  return open.hour !== line.hour || open.count >= limits.maxRecords ||
    open.bytes + line.bytes > limits.maxBytes;
}

/** Gzips NDJSON text. */
export async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Lower-case hex SHA-256, sent as x-amz-content-sha256 so S3 rejects a body corrupted in transit. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The `<Code>` of an S3 XML error body, if any. */
export function s3ErrorCode(body: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
}

/**
 * Classifies a failed S3 answer. Throttling, server errors and timeouts are transient; so are 403, 404 and
 * redirects, because bad credentials, a deleted bucket or a wrong region are configuration problems that
 * affect every record: stalling loudly beats dead-lettering the whole stream. Any other 4xx concerns this
 * request's content and is permanent.
 */
export function classifyS3Failure(status: number, body: string, retryAfterMs?: number): SinkError {
  const code = s3ErrorCode(body);
  const what = `s3 answered HTTP ${status}${code ? ` ${code}` : ""}`;
  if (status === 403) return new SinkError(`${what} (check credentials and bucket policy)`, "transient");
  if (status === 404) return new SinkError(`${what} (does the bucket exist?)`, "transient");
  if (status >= 300 && status < 400) return new SinkError(`${what} (wrong region or endpoint?)`, "transient");
  const transient = status >= 500 || status === 429 || status === 408 || code === "RequestTimeout" ||
    code === "SlowDown";
  return new SinkError(what, transient ? "transient" : "permanent", retryAfterMs);
}

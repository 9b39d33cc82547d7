/**
 * Pure parts of the OpenSearch sink: index names from a template, documents, `_bulk` bodies, and the
 * classification of bulk item results. Kept free of I/O so every rule is unit-tested directly.
 */
import { toCloudEventJson } from "@kafka-edge/lib";
import type { SinkRecord } from "../core/sink.ts";

/** `index` overwrites a replayed document; `create` keeps the first copy (and is what data streams need). */
export type BulkAction = "index" | "create";

const DATE_TOKEN = /yyyy|MM|dd|HH/g;
const DATE_PLACEHOLDER = /^(?:yyyy|MM|dd|HH|[._-])+$/;

/** Renders an index name for one record; compiled once so a bad template fails at construction. */
export type IndexNamer = (topic: string, timeMs: number) => string;

/**
 * Compiles an index template: `{topic}` and date placeholders built from yyyy, MM, dd, HH and the
 * separators `. - _` (e.g. `logs-{topic}-{yyyy.MM.dd}`), rendered in UTC. The result is lower-cased
 * because OpenSearch rejects upper-case index names, and Kafka topics may contain them.
 * @throws {Error} on an unknown placeholder or a name OpenSearch would refuse.
 */
export function compileIndexTemplate(template: string): IndexNamer {
  const parts = template.split(/(\{[^}]*\})/).filter((part) => part !== "");
  for (const part of parts) {
    if (part.startsWith("{") && part !== "{topic}" && !DATE_PLACEHOLDER.test(part.slice(1, -1))) {
      throw new Error(`index template ${JSON.stringify(template)}: unknown placeholder ${part}`);
    }
    if (!part.startsWith("{") && /[\\/*?"<>| ,#:{}]/.test(part)) {
      throw new Error(`index template ${JSON.stringify(template)}: ${JSON.stringify(part)} is not allowed`);
    }
  }
  if (/^[_+-]/.test(template)) {
    throw new Error(`index template ${JSON.stringify(template)}: must not start with _, - or +`);
  }
  return (topic, timeMs) => {
    const date = new Date(timeMs);
    const fields: Record<string, string> = {
      yyyy: String(date.getUTCFullYear()).padStart(4, "0"),
      MM: String(date.getUTCMonth() + 1).padStart(2, "0"),
      dd: String(date.getUTCDate()).padStart(2, "0"),
      HH: String(date.getUTCHours()).padStart(2, "0"),
    };
    return parts.map((part) => {
      if (part === "{topic}") return topic;
      if (part.startsWith("{")) return part.slice(1, -1).replace(DATE_TOKEN, (token) => fields[token]);
      return part;
    }).join("").toLowerCase();
  };
}

/** The event's own time when it has a valid one, else the Kafka timestamp. */
export function eventTimeMs(record: SinkRecord): number {
  const parsed = record.event.time === undefined ? NaN : Date.parse(record.event.time);
  return Number.isFinite(parsed) ? parsed : record.timestamp;
}

/**
 * The stored document: the CloudEvent JSON (raw bytes appear as `data_base64`), plus `@timestamp` for
 * dashboards and `@kafka` for tracing a document back to its record. Neither name can clash with a
 * CloudEvents attribute, which are lowercase alphanumeric.
 * @throws {EnvelopeError} when the event cannot be rendered as CloudEvent JSON.
 */
export function buildDocument(record: SinkRecord): Record<string, unknown> {
  return {
    "@timestamp": new Date(eventTimeMs(record)).toISOString(),
    ...toCloudEventJson(record.event),
    "@kafka": {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: new Date(record.timestamp).toISOString(),
    },
  };
}

/** One document ready for `_bulk`: its two NDJSON lines, pre-serialized so chunks can be sized. */
export interface BulkItem {
  /** Index of the record in the batch given to write(). */
  readonly index: number;
  readonly lines: string;
  readonly bytes: number;
}

const encoder = new TextEncoder();

/** Serializes one action + document pair, newline-terminated as `_bulk` requires. */
export function bulkItem(
  index: number,
  action: BulkAction,
  target: string,
  id: string,
  doc: unknown,
): BulkItem {
  const lines = `${JSON.stringify({ [action]: { _index: target, _id: id } })}\n${JSON.stringify(doc)}\n`;
  return { index, lines, bytes: encoder.encode(lines).length };
}

/** Splits items into request bodies of at most `maxBytes` (a single larger item still gets its own). */
export function chunkItems(items: readonly BulkItem[], maxBytes: number): BulkItem[][] {
  const chunks: BulkItem[][] = [];
  let current: BulkItem[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** What became of one bulk item. */
export type ItemOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "retry" | "permanent"; readonly status: number; readonly reason: string };

interface BulkItemResult {
  readonly status?: number;
  readonly error?: { readonly type?: string; readonly reason?: string } | string;
}

function reasonOf(result: BulkItemResult): string {
  const error = result.error;
  if (typeof error === "string") return error;
  if (error === undefined) return `HTTP ${result.status}`;
  return [error.type, error.reason].filter(Boolean).join(": ") || `HTTP ${result.status}`;
}

/** Rules for one item: 429/5xx (and index conflicts) are worth retrying, other 4xx never succeed. */
export function classifyItem(action: BulkAction, result: BulkItemResult): ItemOutcome {
  const status = result.status ?? 0;
  if (status >= 200 && status < 300) return { kind: "ok" };
  // With create, a conflict means the document is already there: exactly what a replay should find.
  if (status === 409 && action === "create") return { kind: "ok" };
  const kind = status === 429 || status === 409 || status >= 500 || status === 0 ? "retry" : "permanent";
  return { kind, status, reason: reasonOf(result) };
}

/**
 * Outcomes of a `_bulk` response, in request order.
 * @throws {Error} when the response does not list exactly one result per item (a proxy answered?).
 */
export function classifyBulkResponse(action: BulkAction, body: unknown, count: number): ItemOutcome[] {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items) || items.length !== count) {
    throw new Error(`_bulk response lists ${Array.isArray(items) ? items.length : "no"} items for ${count}`);
  }
  return items.map((entry) => {
    const result = (entry as Record<string, BulkItemResult>)[action] ??
      Object.values(entry as Record<string, BulkItemResult>)[0] ?? {};
    return classifyItem(action, result);
  });
}

/**
 * Line templates for the stdout sink.
 *
 *     [LOG] User: {/user}, Action: {/action}     JSON pointers into the event data
 *     {$type} {$id} {$topic}/{$partition}@{$offset}   record fields
 *     {{ and }}                                   literal braces
 *
 * `{$name}` takes id, source, type, time, subject, datacontenttype, key, topic, partition, offset,
 * timestamp (Kafka's, epoch ms) or an extension name. Strings print as-is, numbers and booleans as JSON,
 * objects and arrays as compact JSON, null as `null`, and anything missing as `-` (like an access log).
 * Line breaks inside values print as `\n` so one record is always one line.
 *
 * @module
 */
import { CORE_ATTRIBUTES, parsePointer, pointerGet } from "@kafka-edge/lib";
import type { SinkRecord } from "./sink.ts";

/** What a missing value prints as. */
export const MISSING = "-";

/** The article's consumer output: `[LOG] User: keita, Action: login`. */
export const DEFAULT_TEMPLATE = "[LOG] User: {/user}, Action: {/action}";

/** A compiled template. */
export type Template = (record: SinkRecord) => string;

type Part = string | ((record: SinkRecord) => unknown);

const FIELDS: Readonly<Record<string, (r: SinkRecord) => unknown>> = {
  topic: (r) => r.topic,
  partition: (r) => r.partition,
  offset: (r) => r.offset,
  timestamp: (r) => r.timestamp,
  key: (r) => r.event.key,
};
const ATTRIBUTES = new Set(CORE_ATTRIBUTES);

function field(name: string): (r: SinkRecord) => unknown {
  const known = FIELDS[name];
  if (known) return known;
  if (ATTRIBUTES.has(name)) return (r) => (r.event as unknown as Record<string, unknown>)[name];
  return (r) => r.event.extensions?.[name];
}

/** Renders one value for a log line. */
export function renderValue(value: unknown): string {
  if (value === undefined) return MISSING;
  let text: string;
  if (typeof value === "string") text = value;
  else if (value instanceof Uint8Array) text = `[${value.byteLength} bytes]`;
  else text = JSON.stringify(value) ?? MISSING;
  return text.replaceAll("\r", "\\r").replaceAll("\n", "\\n");
}

/** Compiles `source`; returns an error message for unbalanced braces or bad pointers and field names. */
export function compileTemplate(
  source: string,
): { ok: true; value: Template } | { ok: false; message: string } {
  const parts: Part[] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if ((ch === "{" || ch === "}") && source[i + 1] === ch) {
      literal += ch;
      i += 2;
      continue;
    }
    if (ch === "}") {
      return { ok: false, message: `unmatched "}" at position ${i}; write "}}" for a literal brace` };
    }
    if (ch !== "{") {
      literal += ch;
      i++;
      continue;
    }
    const end = source.indexOf("}", i);
    if (end < 0) {
      return { ok: false, message: `unclosed "{" at position ${i}; write "{{" for a literal brace` };
    }
    const inner = source.slice(i + 1, end).trim();
    if (literal) parts.push(literal);
    literal = "";
    if (inner.startsWith("$")) {
      const name = inner.slice(1);
      if (!/^[a-z0-9]{1,20}$/.test(name)) return { ok: false, message: `"{${inner}}" is not a field name` };
      parts.push(field(name));
    } else {
      const pointer = parsePointer(inner);
      if (!pointer.ok) return { ok: false, message: `"{${inner}}": ${pointer.message}` };
      const tokens = pointer.tokens;
      parts.push((r) => pointerGet(r.event.data, tokens));
    }
    i = end + 1;
  }
  if (literal) parts.push(literal);
  return {
    ok: true,
    value: (record) => parts.map((p) => (typeof p === "string" ? p : renderValue(p(record)))).join(""),
  };
}

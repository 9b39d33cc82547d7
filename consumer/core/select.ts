/**
 * FILTER and PROJECTION: which records reach the sink, and which part of their data.
 *
 * FILTER is one or more conditions joined by `&&`, all of which must hold:
 *
 *     type=user.login                  a CloudEvents attribute (id, source, type, subject, time,
 *                                      datacontenttype, dataschema, an extension) or `key` / `topic`
 *     /action=login                    a JSON pointer into the event data
 *     /user/role!=admin                `!=` holds also when the value is missing
 *
 * Values compare as text: strings as-is, numbers and booleans as JSON writes them, null as `null`.
 * A missing value equals nothing. Surrounding spaces are ignored; values cannot contain `&&`.
 *
 * PROJECTION is a JSON pointer; the sink receives the selected part of the data instead of all of it.
 *
 * @module
 */
import type { Envelope } from "@kafka-edge/lib";
import { CORE_ATTRIBUTES, parsePointer, pointerGet } from "@kafka-edge/lib";

/** One parsed condition. */
interface Condition {
  readonly select: (event: Envelope, topic: string) => unknown;
  readonly negate: boolean;
  readonly value: string;
}

/** A compiled FILTER: true when a record should reach the sink. */
export type Filter = (event: Envelope, topic: string) => boolean;

/** A compiled PROJECTION: the data to deliver, or `missing` when the pointer selects nothing. */
export type Projection = (data: unknown) => { readonly found: true; readonly value: unknown } | {
  readonly found: false;
};

/** Parse outcome shared by the two compilers; `message` says what is wrong with the text. */
export type Compiled<T> = { readonly ok: true; readonly value: T } | {
  readonly ok: false;
  readonly message: string;
};

const ATTRIBUTE = /^[a-z0-9]{1,20}$/;
const TOP_LEVEL = new Set(CORE_ATTRIBUTES);

function attribute(name: string): (event: Envelope, topic: string) => unknown {
  if (name === "topic") return (_event, topic) => topic;
  if (name === "key") return (event) => event.key;
  if (TOP_LEVEL.has(name)) return (event) => (event as unknown as Record<string, unknown>)[name];
  return (event) => event.extensions?.[name];
}

/** The text a selected value compares as; undefined when missing or not a scalar. */
export function comparableText(value: unknown): string | undefined {
  if (value === null) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value);
  return undefined;
}

function parseCondition(text: string): Compiled<Condition> {
  const match = /^(.*?)(!=|=)(.*)$/s.exec(text);
  if (!match) {
    return { ok: false, message: `condition "${text}" must look like name=value or /pointer=value` };
  }
  const [, rawLhs, op, rawValue] = match;
  const lhs = rawLhs.trim();
  const value = rawValue.trim();
  if (lhs.startsWith("/")) {
    const pointer = parsePointer(lhs);
    if (!pointer.ok) return { ok: false, message: `condition "${text}": ${pointer.message}` };
    const tokens = pointer.tokens;
    return {
      ok: true,
      value: { select: (event) => pointerGet(event.data, tokens), negate: op === "!=", value },
    };
  }
  if (!ATTRIBUTE.test(lhs)) {
    return { ok: false, message: `condition "${text}" must name an attribute (e.g. type) or a JSON pointer` };
  }
  return { ok: true, value: { select: attribute(lhs), negate: op === "!=", value } };
}

/** Compiles a FILTER expression (see the module comment). */
export function compileFilter(expression: string): Compiled<Filter> {
  const conditions: Condition[] = [];
  for (const part of expression.split("&&")) {
    const parsed = parseCondition(part.trim());
    if (!parsed.ok) return parsed;
    conditions.push(parsed.value);
  }
  return {
    ok: true,
    value: (event, topic) =>
      conditions.every((c) => (comparableText(c.select(event, topic)) === c.value) !== c.negate),
  };
}

/** Compiles a PROJECTION pointer. */
export function compileProjection(pointer: string): Compiled<Projection> {
  const parsed = parsePointer(pointer);
  if (!parsed.ok) return parsed;
  const tokens = parsed.tokens;
  return {
    ok: true,
    value: (data) => {
      const value = pointerGet(data, tokens);
      return value === undefined ? { found: false } : { found: true, value };
    },
  };
}

/**
 * RFC 6901 JSON Pointers, used by a topic's `keyPointer` and `idPointer` to pick the Kafka key and the
 * event id out of a plain-JSON payload.
 *
 * Lookups only follow own properties: `/constructor` on `{}` must be "missing", not Object's
 * constructor function.
 *
 * @module
 */

/** A pointer split into unescaped reference tokens, or why it is not a pointer. */
export type ParsedPointer =
  | { readonly ok: true; readonly tokens: readonly string[] }
  | { readonly ok: false; readonly message: string };

/** What a pointer selects as Kafka key / event id text. */
export type PointerText =
  | { readonly kind: "text"; readonly text: string }
  /** Absent or `null`: the caller falls back to its default. */
  | { readonly kind: "missing" }
  /** An object or array: no canonical text, so the event is unprocessable. */
  | { readonly kind: "invalid"; readonly message: string };

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Splits and unescapes a pointer (`~1` → `/`, then `~0` → `~`); `""` is the whole document. */
export function parsePointer(pointer: string): ParsedPointer {
  if (pointer === "") return { ok: true, tokens: [] };
  if (!pointer.startsWith("/")) return { ok: false, message: `JSON pointer must be empty or start with "/"` };
  if (/~(?![01])/.test(pointer)) {
    return { ok: false, message: `"~" in a JSON pointer must be followed by 0 or 1` };
  }
  const tokens = pointer.slice(1).split("/").map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
  return { ok: true, tokens };
}

/** Escapes one reference token (`~` → `~0`, `/` → `~1`). */
export function escapePointerToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The value at `tokens`, or `undefined` when any step is missing. */
export function pointerGet(document: unknown, tokens: readonly string[]): unknown {
  let node: unknown = document;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      if (!ARRAY_INDEX.test(token)) return undefined;
      const index = Number(token);
      if (index >= node.length) return undefined;
      node = node[index];
    } else if (typeof node === "object" && node !== null) {
      if (!Object.hasOwn(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    } else return undefined;
  }
  return node;
}

class NumberSource {
  constructor(readonly source: string) {}
}

// JSON.parse rounds integers beyond 2^53, so two distinct snowflake ids would become one event id;
// the reviver's `context.source` gives the digits exactly as the client wrote them.
function numberSource(sourceText: string, tokens: readonly string[]): string | undefined {
  try {
    const revived = JSON.parse(
      sourceText,
      (_key: string, value: unknown, context?: { source?: string }) =>
        typeof value === "number" && context?.source !== undefined ? new NumberSource(context.source) : value,
    );
    const found = pointerGet(revived, tokens);
    return found instanceof NumberSource ? found.source : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text a pointer selects: strings as-is, booleans as `true`/`false`, numbers exactly as written
 * in `sourceText` (the payload's JSON text; without it, JavaScript's shortest form). `null` and
 * absent values are "missing"; objects and arrays are "invalid".
 */
export function pointerText(document: unknown, tokens: readonly string[], sourceText?: string): PointerText {
  const value = pointerGet(document, tokens);
  if (value === undefined || value === null) return { kind: "missing" };
  if (typeof value === "string") return { kind: "text", text: value };
  if (typeof value === "boolean") return { kind: "text", text: String(value) };
  if (typeof value === "number") {
    const exact = sourceText === undefined ? undefined : numberSource(sourceText, tokens);
    return { kind: "text", text: exact ?? String(value) };
  }
  return {
    kind: "invalid",
    message: `must be a string, number or boolean, not ${Array.isArray(value) ? "an array" : "an object"}`,
  };
}

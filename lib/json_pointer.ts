/**
 * RFC 6901 JSON Pointers, shared by the gateway (key/id pointers, schema error paths) and the workers
 * (FILTER, PROJECTION, stdout templates).
 *
 * Lookups follow own properties only: `/constructor` on `{}` must be "missing", not Object's constructor,
 * and byte arrays are leaves, not arrays of numbers.
 *
 * @module
 */

/** A pointer split into unescaped reference tokens, or why it is not one. */
export type ParsedPointer =
  | { readonly ok: true; readonly tokens: readonly string[] }
  | { readonly ok: false; readonly message: string };

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
    } else if (typeof node === "object" && node !== null && !(node instanceof Uint8Array)) {
      if (!Object.hasOwn(node, token)) return undefined;
      node = (node as Record<string, unknown>)[token];
    } else return undefined;
  }
  return node;
}

/**
 * What a topic's `keyPointer` and `idPointer` pick out of a plain-JSON payload as Kafka key or event id
 * text, numbers exactly as the client wrote them. Pointer parsing and lookup are lib's (RFC 6901).
 *
 * @module
 */
import { pointerGet } from "@kafka-edge/lib";

/** What a pointer selects as Kafka key / event id text. */
export type PointerText =
  | { readonly kind: "text"; readonly text: string }
  /** Absent or `null`: the caller falls back to its default. */
  | { readonly kind: "missing" }
  /** An object or array: no canonical text, so the event is unprocessable. */
  | { readonly kind: "invalid"; readonly message: string };

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

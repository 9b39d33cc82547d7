/**
 * What the Kafka adapters share to encode recurring header text once instead of per record.
 *
 * @module
 */

/**
 * Headers whose values repeat on every record of a topic (the CloudEvents constants and the content type
 * that producer/core/content writes per topic, not per event), so their encoded values are worth keeping.
 */
export const REPEATED_VALUE_HEADERS: ReadonlySet<string> = new Set([
  "ce_specversion",
  "ce_source",
  "ce_type",
  "content-type",
]);

/**
 * `encode` memoised per string, emptied when it holds `max` entries: bounded, so a client sending ever new
 * header names or `ce_source` values only ever refills it.
 */
export function boundedMemo<T>(encode: (text: string) => T, max = 1024): (text: string) => T {
  const kept = new Map<string, T>();
  return (text) => {
    if (kept.has(text)) return kept.get(text)!;
    if (kept.size >= max) kept.clear();
    const value = encode(text);
    kept.set(text, value);
    return value;
  };
}

/**
 * `application/json`: one JSON value is one event; a top-level array is a batch of events, one per
 * element (so a single array-valued event must go through NDJSON). See plain.ts for ids and keys.
 *
 * @module
 */
import { decodeUtf8, scanJson } from "../json.ts";
import type { Decoder } from "../types.ts";
import { plainEvents } from "./plain.ts";
import { noEvents, tooManyEvents } from "./problem.ts";

/** Plain JSON payloads. */
export const jsonDecoder: Decoder = {
  mediaTypes: ["application/json"],
  decode(body, ctx) {
    const text = decodeUtf8(body);
    if (!text.ok) return text;
    const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth, maxEvents: ctx.limits.maxEvents });
    if (!scan.ok) return scan;
    if (scan.kind !== "array") {
      if (ctx.limits.maxEvents < 1) return { ok: false, problem: tooManyEvents(ctx.limits.maxEvents) };
      return plainEvents(ctx, text.value, [scan.value], false, body);
    }
    if (scan.elements.length === 0) return { ok: false, problem: noEvents("the JSON array") };
    return plainEvents(ctx, text.value, scan.elements, true, body);
  },
};

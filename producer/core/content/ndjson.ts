/**
 * Newline-delimited JSON (`application/x-ndjson`, `application/jsonl`): one event payload per line,
 * always treated as a batch. Blank lines are skipped; a line may hold any JSON value, including an
 * array (which stays one event). Errors name the 1-based line. See plain.ts for ids and keys.
 *
 * @module
 */
import { decodeUtf8, type JsonSpan, scanJson } from "../json.ts";
import type { Decoder } from "../types.ts";
import { plainEvents } from "./plain.ts";
import { noEvents, tooManyEvents } from "./problem.ts";

/** NDJSON / JSON Lines payloads. */
export const ndjsonDecoder: Decoder = {
  mediaTypes: ["application/x-ndjson", "application/jsonl", "application/ndjson"],
  decode(body, ctx) {
    const text = decodeUtf8(body);
    if (!text.ok) return text;
    const source = text.value;
    const spans: JsonSpan[] = [];
    let line = 0;
    for (let start = 0; start <= source.length;) {
      line++;
      const newline = source.indexOf("\n", start);
      const end = newline === -1 ? source.length : newline;
      const content = source.slice(start, end);
      if (content.trim() !== "") {
        if (spans.length >= ctx.limits.maxEvents) {
          return { ok: false, problem: tooManyEvents(ctx.limits.maxEvents) };
        }
        const scan = scanJson(content, { maxDepth: ctx.limits.maxDepth, origin: { position: start, line } });
        if (!scan.ok) return scan;
        spans.push({ start: start + scan.value.start, end: start + scan.value.end });
      }
      if (newline === -1) break;
      start = newline + 1;
    }
    if (spans.length === 0) return { ok: false, problem: noEvents("the NDJSON body") };
    return plainEvents(ctx, source, spans, true, body);
  },
};

/**
 * `application/cloudevents-batch+json`: a JSON array of CloudEvents in the JSON event format. Every
 * event is checked before any is accepted; see cloudevent.ts for the rules.
 *
 * @module
 */
import { decodeUtf8, scanJson } from "../json.ts";
import type { DecodedEvent, Decoder } from "../types.ts";
import { checkSizes, structuredEvent } from "./cloudevents_structured.ts";
import { badRequest, type EventDetail, noEvents, unprocessable } from "./problem.ts";

/** A batch of structured-mode CloudEvents. */
export const cloudEventsBatchDecoder: Decoder = {
  mediaTypes: ["application/cloudevents-batch+json"],
  decode(body, ctx) {
    const text = decodeUtf8(body);
    if (!text.ok) return text;
    const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth, maxEvents: ctx.limits.maxEvents });
    if (!scan.ok) return scan;
    if (scan.kind !== "array") {
      return { ok: false, problem: badRequest("a CloudEvents batch must be a JSON array of events") };
    }
    if (scan.elements.length === 0) return { ok: false, problem: noEvents("the CloudEvents batch") };
    const details: EventDetail[] = [];
    const events: DecodedEvent[] = [];
    scan.elements.forEach((span, index) => {
      const event = structuredEvent(ctx, text.value.slice(span.start, span.end), index, details);
      if (event) events.push(event);
    });
    if (details.length > 0) {
      return { ok: false, problem: unprocessable("invalid CloudEvents in the batch", details) };
    }
    return checkSizes(ctx, events);
  },
};

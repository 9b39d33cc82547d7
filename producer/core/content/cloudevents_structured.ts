/**
 * `application/cloudevents+json`: one CloudEvent in the JSON event format (structured mode). See
 * cloudevent.ts for the attribute rules and the Kafka mapping.
 *
 * @module
 */
import { decodeUtf8, scanJson } from "../json.ts";
import type { DecodeContext, DecodedEvent, Decoder, DecodeResult } from "../types.ts";
import { cloudEvent, type CloudEventData } from "./cloudevent.ts";
import { decodeBase64 } from "./base64.ts";
import { badRequest, type EventDetail, eventTooLarge, tooManyEvents, unprocessable } from "./problem.ts";

/** Reads one CloudEvent from its JSON text (already validated), or pushes what is wrong onto `details`. */
export function structuredEvent(
  ctx: DecodeContext,
  json: string,
  index: number,
  details: EventDetail[],
): DecodedEvent | undefined {
  const scan = scanJson(json, { maxDepth: Infinity });
  if (!scan.ok || scan.kind !== "object") {
    details.push({ event: index, pointer: "", message: "must be a JSON object (a CloudEvent)" });
    return undefined;
  }
  const event = JSON.parse(json) as Record<string, unknown>;
  const attributes: [string, unknown][] = [];
  const seen = new Set<string>();
  let dataText: string | undefined;
  for (const { name, value } of scan.members) {
    if (name === "data") dataText = json.slice(value.start, value.end);
    else if (name !== "data_base64" && !seen.has(name)) attributes.push([name, event[name]]);
    seen.add(name);
  }
  let data: CloudEventData = { kind: "none" };
  const base64 = Object.hasOwn(event, "data_base64") ? event.data_base64 : null;
  if (dataText !== undefined && base64 !== null) {
    details.push({ event: index, pointer: "/data_base64", message: "must not be sent together with data" });
  } else if (dataText !== undefined) {
    data = { kind: "json", text: dataText, value: event.data };
  } else if (base64 !== null) {
    const bytes = typeof base64 === "string" ? decodeBase64(base64) : undefined;
    if (bytes === undefined) {
      details.push({ event: index, pointer: "/data_base64", message: "must be a base64 string" });
    } else data = { kind: "bytes", bytes };
  }
  return cloudEvent(ctx, index, "json", attributes, data, details);
}

/** Checks each built event against maxEventBytes; the first oversized one is the problem. */
export function checkSizes(ctx: DecodeContext, events: readonly DecodedEvent[]): DecodeResult {
  for (const [index, event] of events.entries()) {
    const size = event.record.value?.length ?? 0;
    if (size > ctx.limits.maxEventBytes) {
      return { ok: false, problem: eventTooLarge(index, size, ctx.limits.maxEventBytes) };
    }
  }
  return { ok: true, events };
}

/** One structured-mode CloudEvent. */
export const cloudEventsStructuredDecoder: Decoder = {
  mediaTypes: ["application/cloudevents+json"],
  decode(body, ctx) {
    const text = decodeUtf8(body);
    if (!text.ok) return text;
    const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth });
    if (!scan.ok) return scan;
    if (scan.kind === "array") {
      return {
        ok: false,
        problem: badRequest("a JSON array is a batch: send it as application/cloudevents-batch+json"),
      };
    }
    if (ctx.limits.maxEvents < 1) return { ok: false, problem: tooManyEvents(ctx.limits.maxEvents) };
    const details: EventDetail[] = [];
    const event = structuredEvent(ctx, text.value.slice(scan.value.start, scan.value.end), 0, details);
    if (!event) return { ok: false, problem: unprocessable("invalid CloudEvent", details) };
    return checkSizes(ctx, [event]);
  },
};

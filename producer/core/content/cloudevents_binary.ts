/**
 * CloudEvents HTTP binary mode: attributes in `ce-<name>` headers (percent-decoded, as the HTTP binding
 * encodes non-ASCII), the body is the data and Content-Type is its `datacontenttype`. Selected by the
 * presence of `ce-specversion`, not by media type. A JSON body (Content-Type `*\/json` or `*\/*+json`)
 * must be valid JSON and is schema-checked; any other body is forwarded byte for byte.
 *
 * @module
 */
import { isJsonContentType } from "../../../lib/envelope.ts";
import { decodeUtf8, scanJson } from "../json.ts";
import type { Decoder } from "../types.ts";
import { cloudEvent, type CloudEventData } from "./cloudevent.ts";
import { checkSizes } from "./cloudevents_structured.ts";
import { type EventDetail, tooManyEvents, unprocessable } from "./problem.ts";

/** Request headers that carry CloudEvents attributes in binary mode. */
export const BINARY_MODE_PREFIX = "ce-";

/** One binary-mode CloudEvent; `mediaTypes` is empty because any body type is accepted. */
export const cloudEventsBinaryDecoder: Decoder = {
  mediaTypes: [],
  decode(body, ctx) {
    if (ctx.limits.maxEvents < 1) return { ok: false, problem: tooManyEvents(ctx.limits.maxEvents) };
    const details: EventDetail[] = [];
    const attributes: [string, unknown][] = [];
    for (const [header, raw] of ctx.headers) {
      if (!header.startsWith(BINARY_MODE_PREFIX)) continue;
      const name = header.slice(BINARY_MODE_PREFIX.length);
      if (name === "datacontenttype") {
        details.push({
          event: 0,
          header,
          message: "is not used in binary mode: send the Content-Type header",
        });
        continue;
      }
      try {
        attributes.push([name, decodeURIComponent(raw)]);
      } catch {
        details.push({ event: 0, header, message: "is not valid percent-encoded UTF-8" });
      }
    }
    const contentType = ctx.headers.get("content-type") ?? undefined;
    if (contentType !== undefined) attributes.push(["datacontenttype", contentType]);

    let data: CloudEventData = body.length === 0 ? { kind: "none" } : { kind: "bytes", bytes: body };
    if (body.length > 0 && contentType !== undefined && isJsonContentType(contentType)) {
      const text = decodeUtf8(body);
      if (!text.ok) return text;
      const scan = scanJson(text.value, { maxDepth: ctx.limits.maxDepth });
      if (!scan.ok) return scan;
      data = { kind: "json", text: text.value, value: JSON.parse(text.value) };
    }
    const event = cloudEvent(ctx, 0, "header", attributes, data, details);
    if (!event || details.length > 0) {
      return { ok: false, problem: unprocessable("invalid CloudEvent headers", details) };
    }
    return checkSizes(ctx, [event]);
  },
};

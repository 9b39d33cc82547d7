/**
 * Request problems shared by the decoders. Messages follow lib/http_error.ts: a lowercase sentence
 * fragment without a trailing period.
 *
 * @module
 */
import type { RequestProblem } from "../types.ts";

/** At most this many per-event details are reported, so a huge bad batch cannot make a huge response. */
export const MAX_DETAILS = 20;

/** One thing wrong with one event of a request. */
export interface EventDetail {
  /** Index of the event in the request (0 for a single event). */
  readonly event: number;
  /** JSON pointer to the offending member, relative to the event (e.g. `/time`); absent for headers. */
  readonly pointer?: string;
  /** The offending HTTP header (CloudEvents binary mode), e.g. `ce-time`. */
  readonly header?: string;
  readonly message: string;
}

/** A 400 `bad_request`. */
export function badRequest(message: string, details?: unknown): RequestProblem {
  return details === undefined
    ? { status: 400, code: "bad_request", message }
    : { status: 400, code: "bad_request", message, details };
}

/** A 413 `payload_too_large`. */
export function payloadTooLarge(message: string, details?: unknown): RequestProblem {
  return { status: 413, code: "payload_too_large", message, details };
}

/** A 415 `unsupported_media_type`. */
export function unsupportedMediaType(message: string, details?: unknown): RequestProblem {
  return { status: 415, code: "unsupported_media_type", message, details };
}

/** A 422 `unprocessable_entity` listing at most {@link MAX_DETAILS} of `details`. */
export function unprocessable(what: string, details: readonly EventDetail[]): RequestProblem {
  const shown = details.length > MAX_DETAILS ? ` (first ${MAX_DETAILS} of ${details.length} shown)` : "";
  const only = details[0];
  const first = details.length === 1
    ? `: ${only.header ?? (only.pointer || "event")} ${only.message}`
    : shown;
  return {
    status: 422,
    code: "unprocessable_entity",
    message: `${what}${first}`,
    details: details.slice(0, MAX_DETAILS),
  };
}

/** The 413 for one event whose value exceeds `maxEventBytes`. */
export function eventTooLarge(event: number, bytes: number, maxEventBytes: number): RequestProblem {
  return payloadTooLarge(`event ${event} is ${bytes} bytes; at most ${maxEventBytes} bytes per event`, {
    event,
    bytes,
    maxEventBytes,
  });
}

/** The 413 for more than `maxEvents` events. */
export function tooManyEvents(maxEvents: number): RequestProblem {
  return payloadTooLarge(`too many events: at most ${maxEvents} per request; split the batch`, { maxEvents });
}

/** The 400 for a body that holds no event. */
export function noEvents(what: string): RequestProblem {
  return badRequest(`${what} holds no events; send at least one`);
}

/**
 * Plain JSON events (application/json, NDJSON): the JSON value IS the payload. Its Kafka value is the
 * client's exact text, and it is written as a CloudEvent in Kafka binary mode so consumers get an id,
 * source, type and time without any field of the payload being interpreted — except the topic's
 * `idPointer` and `keyPointer`.
 *
 * - id: the `idPointer` value, else `Idempotency-Key` (`<key>-<index>` in a batch), else generated
 * - key: the `keyPointer` value, else the id, so a retried event lands in the same partition as its
 *   first attempt and consumers can dedupe there
 * - pointer values: strings as-is, numbers exactly as written, booleans as `true`/`false`; absent or
 *   `null` falls back as above; objects and arrays are a 422
 *
 * @module
 */
import { parsePointer } from "@kafka-edge/lib";
import { pointerText } from "../json_pointer.ts";
import type { JsonSpan } from "../json.ts";
import { parseJson } from "../json.ts";
import type { DecodeContext, DecodedEvent, DecodeResult, TopicConfig } from "../types.ts";
import { type EventDetail, eventTooLarge, unprocessable } from "./problem.ts";
import { asciiBody, fallbackId, type Header, traceHeaders, utf8, utf8Each } from "./record.ts";

/** `type` of plain events when the topic sets no `eventType`. */
export const DEFAULT_EVENT_TYPE = "kafka-edge.event";

/** `source` of plain events when the topic sets no `eventSource`. */
export function defaultEventSource(topic: TopicConfig): string {
  return `/topics/${topic.name}`;
}

// A bad pointer in the topics file is the operator's mistake, not the client's: compileTopics
// rejects it at start-up, so reaching this is a bug and throwing makes it a 500.
function tokens(topic: TopicConfig, field: "keyPointer" | "idPointer"): readonly string[] | undefined {
  const pointer = topic[field];
  if (pointer === undefined) return undefined;
  const parsed = parsePointer(pointer);
  if (!parsed.ok) {
    throw new Error(`topic "${topic.name}": ${field} ${JSON.stringify(pointer)}: ${parsed.message}`);
  }
  return parsed.tokens;
}

/**
 * Builds one event per span of `text` (already validated by scanJson). `batch` decides the
 * Idempotency-Key suffix. `body` is the UTF-8 `text` was decoded from, when the caller has it. Never throws
 * for client input.
 */
export function plainEvents(
  ctx: DecodeContext,
  text: string,
  spans: readonly JsonSpan[],
  batch: boolean,
  body?: Uint8Array,
): DecodeResult {
  const { topic, limits } = ctx;
  const idTokens = tokens(topic, "idPointer");
  const keyTokens = tokens(topic, "keyPointer");
  const source = topic.eventSource ?? defaultEventSource(topic);
  const type = topic.eventType ?? DEFAULT_EVENT_TYPE;
  const time = ctx.now.toISOString();
  const trace = traceHeaders(ctx);
  const events: DecodedEvent[] = [];
  // Each record's key is filled in once all are known, so that they can share one buffer (utf8Each).
  const records: { key: Uint8Array | null; value: Uint8Array; headers: Header[] }[] = [];
  const keys: string[] = [];
  const details: EventDetail[] = [];
  const ascii = asciiBody(body, text);
  // Only a schema or a pointer reads the parsed payload; scanJson has checked the syntax already.
  const parse = topic.schema !== undefined || idTokens !== undefined || keyTokens !== undefined;

  for (let index = 0; index < spans.length; index++) {
    const { start, end } = spans[index];
    const json = text.slice(start, end);
    const value = ascii ? ascii.subarray(start, end) : utf8.encode(json);
    if (value.length > limits.maxEventBytes) {
      return { ok: false, problem: eventTooLarge(index, value.length, limits.maxEventBytes) };
    }
    let payload: unknown = undefined;
    if (parse) {
      const parsed = parseJson(json);
      if (!parsed.ok) return parsed;
      payload = parsed.value;
    }

    let id: string | undefined;
    if (idTokens) {
      const found = pointerText(payload, idTokens, json);
      if (found.kind === "invalid") {
        details.push({ event: index, pointer: topic.idPointer!, message: found.message });
      } else if (found.kind === "text" && found.text === "") {
        details.push({
          event: index,
          pointer: topic.idPointer!,
          message: "must not be empty (it is the event id)",
        });
      } else if (found.kind === "text") id = found.text;
    }
    let key: string | undefined;
    if (keyTokens) {
      const found = pointerText(payload, keyTokens, json);
      if (found.kind === "invalid") {
        details.push({ event: index, pointer: topic.keyPointer!, message: found.message });
      } else if (found.kind === "text") key = found.text;
    }
    if (details.length > 0) continue;
    id ??= fallbackId(ctx, index, batch);

    const headers: Header[] = [
      ["ce_specversion", "1.0"],
      ["ce_id", id],
      ["ce_source", source],
      ["ce_type", type],
      ["ce_time", time],
      ["content-type", "application/json"],
      ...trace,
    ];
    const record = { key: null, value, headers };
    records.push(record);
    events.push({ id, payload, validate: parse, record });
    keys.push(key ?? id);
  }
  if (details.length > 0) {
    return { ok: false, problem: unprocessable("cannot take the key or id from the event", details) };
  }
  const keyBytes = utf8Each(keys);
  for (let i = 0; i < records.length; i++) records[i].key = keyBytes[i];
  return { ok: true, events };
}

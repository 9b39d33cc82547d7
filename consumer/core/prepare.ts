/**
 * Turns a fetched record into what the sink receives: decode (binary or structured CloudEvents, plain JSON,
 * raw bytes), then FILTER, then PROJECTION. Pure.
 *
 * @module
 */
import { fromKafkaRecord, type HeaderValue } from "@kafka-edge/lib";
import type { Filter, Projection } from "./select.ts";
import type { SinkRecord } from "./sink.ts";
import type { ConsumedRecord, Failure } from "./types.ts";

/** What happens to one record before the sink. */
export type Prepared =
  | { readonly kind: "deliver"; readonly record: SinkRecord }
  /** Settled without the sink: filtered out, or a tombstone (a delete marker, not an event). */
  | { readonly kind: "skip"; readonly reason: "filtered" | "tombstone" }
  /** Can never be delivered: goes to the dead-letter topic without a write attempt. */
  | { readonly kind: "fail"; readonly failure: Failure };

/** The selection settings; both optional. */
export interface Selection {
  readonly filter?: Filter;
  readonly projection?: Projection;
}

const utf8 = new TextDecoder();

function lastText(value: HeaderValue): string | undefined {
  const last = Array.isArray(value) ? value.at(-1) : value;
  if (last === undefined) return undefined;
  return typeof last === "string" ? last : utf8.decode(last as Uint8Array);
}

/** Kafka headers as UTF-8 text, last value winning for repeated names. */
export function headerTexts(headers: Readonly<Record<string, HeaderValue>>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, value] of Object.entries(headers)) {
    const text = lastText(value);
    if (text !== undefined) out[name] = text;
  }
  return out;
}

/** Decodes, filters and projects one record. */
export function prepareRecord(record: ConsumedRecord, selection: Selection): Prepared {
  const decoded = fromKafkaRecord(record);
  if (!decoded.ok) {
    if (decoded.error.code === "tombstone") return { kind: "skip", reason: "tombstone" };
    return {
      kind: "fail",
      failure: {
        errorClass: decoded.error.name,
        message: decoded.error.message,
        kind: "permanent",
        attempts: 0,
      },
    };
  }
  let event = decoded.envelope;
  if (selection.filter && !selection.filter(event, record.topic)) return { kind: "skip", reason: "filtered" };
  if (selection.projection) {
    const projected = selection.projection(event.data);
    if (!projected.found) {
      return {
        kind: "fail",
        failure: {
          errorClass: "ProjectionError",
          message: "PROJECTION selects nothing in this event's data",
          kind: "permanent",
          attempts: 0,
        },
      };
    }
    event = { ...event, data: projected.value };
  }
  return {
    kind: "deliver",
    record: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: Number(record.timestamp),
      key: record.key,
      value: record.value,
      headers: headerTexts(record.headers),
      event,
    },
  };
}

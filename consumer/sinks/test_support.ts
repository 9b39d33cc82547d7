/**
 * Builds SinkRecords for sink tests the way the runtime does: a Kafka record decoded by lib/envelope, so
 * tests exercise the same envelopes production sees (binary-mode CloudEvents, raw bytes).
 */
import { fromKafkaRecord, type IncomingRecord, toKafkaRecord } from "@kafka-edge/lib";
import type { SinkRecord } from "../core/sink.ts";

/** 2024-05-01T12:00:00Z: a fixed Kafka timestamp so object keys and index names are predictable. */
export const BASE_TIME = Date.UTC(2024, 4, 1, 12, 0, 0);

/** Where a test record sits in Kafka. */
export interface Placement {
  readonly topic: string;
  readonly partition?: number;
  readonly offset: number | string;
  /** Kafka timestamp; default {@link BASE_TIME} + offset seconds. */
  readonly timestamp?: number;
}

function decode(incoming: IncomingRecord, place: Placement): SinkRecord {
  const result = fromKafkaRecord(incoming);
  if (!result.ok) throw result.error;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers ?? {})) headers[name] = String(value);
  const value = incoming.value;
  return {
    topic: place.topic,
    partition: place.partition ?? 0,
    offset: String(place.offset),
    timestamp: Number(incoming.timestamp),
    key: null,
    value: typeof value === "string" ? new TextEncoder().encode(value) : value,
    headers,
    event: result.envelope,
  };
}

function positioned(place: Placement): Pick<IncomingRecord, "topic" | "partition" | "offset" | "timestamp"> {
  return {
    topic: place.topic,
    partition: place.partition ?? 0,
    offset: String(place.offset),
    timestamp: String(place.timestamp ?? BASE_TIME + Number(place.offset) * 1000),
  };
}

/** A binary-mode CloudEvent with JSON data and the given id. */
export function jsonRecord(place: Placement, id: string, data: unknown, type = "test.event"): SinkRecord {
  const kafka = toKafkaRecord({ id, source: "/tests", type, specversion: "1.0", data });
  return decode({ ...positioned(place), key: kafka.key, value: kafka.value, headers: kafka.headers }, place);
}

/** A record whose value is arbitrary bytes (not UTF-8, not JSON); its id derives from the position. */
export function rawRecord(place: Placement, bytes: Uint8Array): SinkRecord {
  return decode({ ...positioned(place), key: null, value: bytes, headers: {} }, place);
}

/** The id lib/envelope gives a record without a CloudEvent id: `<topic>-<partition>-<offset>`. */
export function positionId(place: Placement): string {
  return `${place.topic}-${place.partition ?? 0}-${place.offset}`;
}

/** Contiguous JSON records `from`..`from+count-1` with ids `<idPrefix>-<offset>`. */
export function jsonBatch(topic: string, idPrefix: string, from: number, count: number): SinkRecord[] {
  return Array.from(
    { length: count },
    (_, i) => jsonRecord({ topic, offset: from + i }, `${idPrefix}-${from + i}`, { n: from + i, ok: true }),
  );
}

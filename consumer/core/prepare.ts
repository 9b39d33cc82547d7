/**
 * Turns a fetched record into what the sink receives: decode (binary or structured CloudEvents, plain JSON,
 * raw bytes), then FILTER, then PROJECTION. Pure.
 *
 * @module
 */
import { decodeHeaders, type Envelope, fromKafkaRecord, type HeaderValue } from "@kafka-edge/lib";
import type { Filter, Projection } from "./select.ts";
import type { SinkReads, SinkRecord } from "./sink.ts";
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

/**
 * A record handed over undecoded, for sinks that read only bytes (`reads: "bytes"`) when no FILTER or
 * PROJECTION needs the event: headers and `event` are decoded on first access, and `event` throws the
 * EnvelopeError when the record is not an event. Decoding costs the worker more CPU than kafkajs' own
 * record parsing; a sink that never looks should not pay for it.
 */
class UndecodedRecord implements SinkRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly #source: ConsumedRecord;
  #headers: Readonly<Record<string, string>> | undefined;
  #event: Envelope | undefined;
  #time: string | undefined;

  constructor(source: ConsumedRecord) {
    this.topic = source.topic;
    this.partition = source.partition;
    this.offset = source.offset;
    this.timestamp = Number(source.timestamp);
    this.key = source.key;
    this.value = source.value;
    this.#source = source;
  }

  get headers(): Readonly<Record<string, string>> {
    return this.#headers ??= decodeHeaders(this.#source.headers);
  }

  get event(): Envelope {
    if (this.#event === undefined) {
      const decoded = fromKafkaRecord(this.#source, { headerTexts: this.headers });
      if (!decoded.ok) throw decoded.error;
      this.#event = decoded.envelope;
    }
    return this.#event;
  }

  /** See {@link storedEvent}. */
  stored(): StoredEvent {
    if (this.#event !== undefined) return { event: this.#event };
    const decoded = fromKafkaRecord(this.#source, { headerTexts: this.headers, jsonDataAsBytes: true });
    if (!decoded.ok) throw decoded.error;
    this.#time = decoded.envelope.time;
    if (decoded.dataJson === undefined) return { event: this.#event = decoded.envelope };
    return { event: decoded.envelope, dataJson: decoded.dataJson };
  }

  /** The event's time if it was decoded already; never decodes. */
  get decodedTime(): string | undefined {
    return this.#event?.time ?? this.#time;
  }
}

/**
 * A record's event for a sink that stores JSON data as JSON text and lets its store check and parse it
 * (PostgreSQL's jsonb). When the record reached the sink undecoded (`reads: "bytes"`) and carries JSON data
 * in binary mode, the data is left as the bytes stored in Kafka (`dataJson`, checked to be neither UTF-8
 * nor JSON: the store must refuse what is not) and `event.data` is undefined; otherwise `dataJson` is absent
 * and `event` is `record.event`, data included. Throws the EnvelopeError of a record that is not an event.
 */
export interface StoredEvent {
  readonly event: Envelope;
  readonly dataJson?: Uint8Array;
}

/** See {@link StoredEvent}. */
export function storedEvent(record: SinkRecord): StoredEvent {
  return record instanceof UndecodedRecord ? record.stored() : { event: record.event };
}

/** When the event happened: its `time` attribute, else the Kafka timestamp. Decodes nothing new. */
export function eventTimeMs(record: SinkRecord): number {
  const time = record instanceof UndecodedRecord ? record.decodedTime : record.event.time;
  const parsed = time === undefined ? NaN : Date.parse(time);
  return Number.isFinite(parsed) ? parsed : record.timestamp;
}

function isBinaryModeEvent(headers: Readonly<Record<string, HeaderValue>>): boolean {
  for (const name in headers) if (name.toLowerCase() === "ce_specversion") return true;
  return false;
}

/**
 * Decodes, filters and projects one record. With `reads: "bytes"` and no selection the record goes to the
 * sink undecoded (only tombstones are told apart); otherwise an undecodable record fails here, before any
 * write, and goes to the dead-letter topic.
 */
export function prepareRecord(
  record: ConsumedRecord,
  selection: Selection,
  reads: SinkReads = "event",
): Prepared {
  if (reads === "bytes" && !selection.filter && !selection.projection) {
    if (record.value === null && !isBinaryModeEvent(record.headers)) {
      return { kind: "skip", reason: "tombstone" };
    }
    return { kind: "deliver", record: new UndecodedRecord(record) };
  }
  const headers = decodeHeaders(record.headers);
  const decoded = fromKafkaRecord(record, { headerTexts: headers });
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
      headers,
      event,
    },
  };
}

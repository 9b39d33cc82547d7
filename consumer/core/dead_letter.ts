/**
 * What a dead-lettered record looks like: the original key, value and headers byte for byte (so it can be
 * replayed into the source topic unchanged), plus `dlq.*` headers saying where it came from and why it failed.
 *
 * @module
 */
import type { HeaderValue } from "@kafka-edge/lib";
import type { ConsumedRecord, Failure } from "./types.ts";

/** A record to produce to the dead-letter topic. */
export interface DeadLetterRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** Header names added to every dead-lettered record. */
export const DLQ_HEADERS = {
  topic: "dlq.original.topic",
  partition: "dlq.original.partition",
  offset: "dlq.original.offset",
  timestamp: "dlq.original.timestamp",
  errorClass: "dlq.error.class",
  errorKind: "dlq.error.kind",
  errorMessage: "dlq.error.message",
  attempts: "dlq.attempts",
  failedAt: "dlq.failed.at",
  group: "dlq.group",
  sink: "dlq.sink",
} as const;

/** Error messages can embed whole response bodies; headers travel with every fetch of the record. */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

/** Context of the worker that gives up on a record. */
export interface DeadLetterContext {
  readonly group: string;
  readonly sink: string;
  /** Epoch milliseconds of the decision. */
  readonly now: number;
}

function clip(text: string): string {
  return text.length <= MAX_ERROR_MESSAGE_CHARS ? text : `${text.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…`;
}

/**
 * Builds the dead-letter copy of `record`. Existing `dlq.*` headers (a record dead-lettered twice, e.g. after
 * a replay from the DLQ) are replaced so the headers always describe the latest failure.
 */
export function deadLetterRecord(
  record: ConsumedRecord,
  failure: Failure,
  context: DeadLetterContext,
): DeadLetterRecord {
  const headers: Record<string, HeaderValue> = Object.create(null);
  for (const [name, value] of Object.entries(record.headers)) {
    if (!name.startsWith("dlq.") && value !== undefined) headers[name] = value;
  }
  headers[DLQ_HEADERS.topic] = record.topic;
  headers[DLQ_HEADERS.partition] = String(record.partition);
  headers[DLQ_HEADERS.offset] = record.offset;
  headers[DLQ_HEADERS.timestamp] = record.timestamp;
  headers[DLQ_HEADERS.errorClass] = failure.errorClass;
  headers[DLQ_HEADERS.errorKind] = failure.kind;
  headers[DLQ_HEADERS.errorMessage] = clip(failure.message);
  headers[DLQ_HEADERS.attempts] = String(failure.attempts);
  headers[DLQ_HEADERS.failedAt] = new Date(context.now).toISOString();
  headers[DLQ_HEADERS.group] = context.group;
  headers[DLQ_HEADERS.sink] = context.sink;
  return { key: record.key, value: record.value, headers };
}

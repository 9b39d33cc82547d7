import assert from "node:assert/strict";
import { deadLetterRecord, DLQ_HEADERS, MAX_ERROR_MESSAGE_CHARS } from "./dead_letter.ts";
import type { ConsumedRecord } from "./types.ts";

const record: ConsumedRecord = {
  topic: "orders",
  partition: 2,
  offset: "9007199254740993",
  timestamp: "1714564800000",
  key: new TextEncoder().encode("o1"),
  value: new Uint8Array([0xff, 0x00, 0x7b]),
  headers: {
    trace: new TextEncoder().encode("abc"),
    multi: ["a", "b"],
    "dlq.error.message": "older failure",
  },
};
const failure = {
  errorClass: "SinkError",
  message: "webhook answered HTTP 400",
  kind: "permanent" as const,
  attempts: 1,
};
const context = { group: "g", sink: "webhook", now: Date.UTC(2024, 4, 1, 12, 0, 1) };

Deno.test("a dead letter keeps key, value and headers byte for byte", () => {
  const dead = deadLetterRecord(record, failure, context);
  assert.equal(dead.key, record.key);
  assert.equal(dead.value, record.value);
  assert.equal(dead.headers.trace, record.headers.trace);
  assert.deepEqual(dead.headers.multi, ["a", "b"]);
});

Deno.test("a dead letter says where the record came from, why it failed, and after how many attempts", () => {
  const h = deadLetterRecord(record, failure, context).headers;
  assert.equal(h[DLQ_HEADERS.topic], "orders");
  assert.equal(h[DLQ_HEADERS.partition], "2");
  assert.equal(h[DLQ_HEADERS.offset], "9007199254740993", "offsets beyond 2^53 stay exact");
  assert.equal(h[DLQ_HEADERS.timestamp], "1714564800000");
  assert.equal(h[DLQ_HEADERS.errorClass], "SinkError");
  assert.equal(h[DLQ_HEADERS.errorKind], "permanent");
  assert.equal(
    h[DLQ_HEADERS.errorMessage],
    "webhook answered HTTP 400",
    "a previous failure's headers are replaced",
  );
  assert.equal(h[DLQ_HEADERS.attempts], "1");
  assert.equal(h[DLQ_HEADERS.failedAt], "2024-05-01T12:00:01.000Z");
  assert.equal(h[DLQ_HEADERS.group], "g");
  assert.equal(h[DLQ_HEADERS.sink], "webhook");
});

Deno.test("long error messages are clipped so headers stay small", () => {
  const h = deadLetterRecord(record, { ...failure, message: "x".repeat(5000) }, context).headers;
  assert.equal((h[DLQ_HEADERS.errorMessage] as string).length, MAX_ERROR_MESSAGE_CHARS);
});

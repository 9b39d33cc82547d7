import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { MultipleErrors, NetworkError, ProtocolError, TimeoutError } from "@platformatic/kafka";
import { classifyPlatformaticError, toMessage } from "./platformatic_sender.ts";

const enc = new TextEncoder();
const text = (b: Buffer | null | undefined) => (b == null ? b : new TextDecoder().decode(b));

Deno.test("a record keeps every header, a repeated name included, in order and as UTF-8 bytes", () => {
  const message = toMessage("logs", 2, {
    key: enc.encode("k"),
    value: enc.encode('{"a":1}'),
    headers: [["ce_type", "t"], ["x", "één"], ["x", enc.encode("two")], ["__proto__", "p"]],
  });
  assert.equal(message.topic, "logs");
  assert.equal(message.partition, 2);
  assert.equal(text(message.key), "k");
  assert.equal(text(message.value), '{"a":1}');
  const pairs = [...message.headers as Map<Buffer, Buffer>].map(([k, v]) => [text(k), text(v)]);
  assert.deepEqual(pairs, [["ce_type", "t"], ["x", "één"], ["x", "two"], ["__proto__", "p"]]);
  // Kafka length-prefixes bytes: a non-ASCII value must be measured in bytes, not UTF-16 units.
  assert.equal([...(message.headers as Map<Buffer, Buffer>).values()][1].length, 5);
});

Deno.test("a null key is absent and a null value stays null (a tombstone)", () => {
  const message = toMessage("logs", 0, { key: null, value: null, headers: [] });
  assert.equal(message.key, undefined);
  assert.equal(message.value, null);
});

Deno.test("a broker answer that retrying cannot change rejects the events; the rest is unavailability", () => {
  const tooLarge = classifyPlatformaticError(
    new MultipleErrors("Producing messages failed.", [new ProtocolError("MESSAGE_TOO_LARGE")]),
  );
  assert.equal(tooLarge.code, "kafka_rejected");
  assert.equal(tooLarge.retriable, false);
  assert.match(tooLarge.message, /MESSAGE_TOO_LARGE/);

  for (
    const err of [
      new NetworkError("Connection to 127.0.0.1:9 failed."),
      new TimeoutError("Request timed out."),
      new MultipleErrors("Producing messages failed.", [new ProtocolError("NOT_LEADER_OR_FOLLOWER")]),
      new Error("socket hang up"),
    ]
  ) {
    const classified = classifyPlatformaticError(err);
    assert.equal(classified.code, "kafka_unavailable", String(err));
    assert.equal(classified.retriable, true);
  }
  assert.match(
    classifyPlatformaticError(new MultipleErrors("outer", [new NetworkError("inner cause")])).message,
    /inner cause/,
    "the innermost cause is what an operator needs to read",
  );
});

import assert from "node:assert/strict";
import { bridgeAnswer, v1Answer } from "./results.ts";
import { ProduceError } from "./ports.ts";
import type { RecordOutcome } from "./batcher.ts";

const ok = (offset: string): RecordOutcome => ({ ok: true, partition: 1, offset });
const down: RecordOutcome = { ok: false, error: new ProduceError("kafka_timeout", "no ack", true) };
const rejected: RecordOutcome = { ok: false, error: new ProduceError("kafka_rejected", "too big", false) };

Deno.test("v1Answer is 200 only when every event was acknowledged", () => {
  const a = v1Answer(["a", "b"], [ok("5"), ok("6")], 2);
  assert.equal(a.status, 200);
  assert.deepEqual(a.body, {
    results: [{ id: "a", partition: 1, offset: "5" }, { id: "b", partition: 1, offset: "6" }],
    succeeded: 2,
    failed: 0,
  });
});

Deno.test("v1Answer is 207 with per-event errors when only some were acknowledged", () => {
  const a = v1Answer(["a", "b"], [ok("5"), down], 2);
  assert.equal(a.status, 207);
  assert.deepEqual((a.body as { failed: number }).failed, 1);
});

Deno.test("v1Answer is 503 with Retry-After in the error shape when a transient failure hit every event", () => {
  const a = v1Answer(["a"], [down], 3);
  assert.equal(a.status, 503);
  assert.equal(a.retryAfter, 3);
  const body = a.body as { error: { code: string; details: { failed: number } } };
  assert.equal(body.error.code, "service_unavailable");
  assert.equal(body.error.details.failed, 1);
});

Deno.test("v1Answer is 422 when every event was rejected for good", () => {
  assert.equal(v1Answer(["a"], [rejected], 3).status, 422);
});

Deno.test("bridgeAnswer keeps the bridge's offsets shape with honest statuses", () => {
  assert.deepEqual(bridgeAnswer([ok("7")], 1), {
    status: 200,
    retryAfter: undefined,
    body: { offsets: [{ partition: 1, offset: 7 }] },
  });
  const partial = bridgeAnswer([ok("7"), down], 1);
  assert.equal(partial.status, 207);
  assert.deepEqual((partial.body as { offsets: unknown[] }).offsets[1], {
    error_code: 503,
    message: "no ack",
  });
});

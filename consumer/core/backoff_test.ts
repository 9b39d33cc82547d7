import assert from "node:assert/strict";
import { backoffCeiling, backoffDelay, retryBudgetMs } from "./backoff.ts";

const policy = { attempts: 5, initialBackoffMs: 200, maxBackoffMs: 1_000 };

Deno.test("the ceiling doubles per failed attempt and stops at maxBackoffMs", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 60].map((a) => backoffCeiling(a, policy)), [
    200,
    400,
    800,
    1000,
    1000,
    1000,
  ]);
});

Deno.test("full jitter: the delay spans 0 to the ceiling, driven by the injected random source", () => {
  assert.equal(backoffDelay(3, policy, () => 0), 0);
  assert.equal(backoffDelay(3, policy, () => 0.5), 400);
  assert.equal(backoffDelay(3, policy, () => 0.999999), 800);
});

Deno.test("Retry-After is a lower bound but never beyond maxBackoffMs", () => {
  assert.equal(backoffDelay(1, policy, () => 0, 700), 700);
  assert.equal(backoffDelay(1, policy, () => 0, 60_000), 1000);
  assert.equal(backoffDelay(3, policy, () => 0.999999, 10), 800);
});

Deno.test("the retry budget bounds how long one record can hold its partition", () => {
  // Waits after attempts 1..4 (the 5th failure dead-letters at once): 200 + 400 + 800 + 1000.
  assert.equal(retryBudgetMs(policy), 2400);
  assert.equal(retryBudgetMs({ ...policy, attempts: 1 }), 0);
});

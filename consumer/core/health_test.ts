import assert from "node:assert/strict";
import { createHealth } from "./health.ts";

Deno.test("live while the consume loop shows activity; stale after the limit; failed for good", () => {
  let now = 0;
  const health = createHealth(() => now, 1000);
  assert.equal(health.live().ok, true);
  now = 1001;
  assert.equal(health.live().ok, false);
  health.alive();
  assert.equal(health.live().ok, true);
  health.failed("crashed");
  assert.equal(health.live().ok, false);
});

Deno.test("ready only when joined with partitions, not while rebalancing or stopping", () => {
  let now = 0;
  const health = createHealth(() => now, 1000);
  assert.equal(health.ready().ok, false);
  health.joined(0);
  assert.equal(health.ready().ok, false, "a member without partitions does no work");
  health.joined(3);
  assert.equal(health.ready().ok, true);
  assert.equal(health.ready().detail.assignedPartitions, 3);
  health.rebalancing();
  assert.equal(health.ready().ok, false);
  health.joined(2);
  health.stopping();
  assert.equal(health.ready().ok, false);
  now = 5;
});

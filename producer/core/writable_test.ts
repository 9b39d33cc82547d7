import assert from "node:assert/strict";
import { unwritableReason } from "./writable.ts";

const p = (partitionId: number, leader: number, isr: number[]) => ({ partitionId, leader, isr });

Deno.test("a topic is writable when every partition has a leader and enough in-sync replicas", () => {
  assert.equal(unwritableReason("t", [p(0, 1, [1, 2, 3]), p(1, 2, [2, 3])], 2), undefined);
});

Deno.test("a topic whose ISR shrank below min.insync.replicas is not writable, naming the partitions", () => {
  const reason = unwritableReason("t", [p(0, 1, [1]), p(1, 1, [1, 2]), p(2, 1, [1])], 2);
  assert.match(reason!, /partitions 0,2 have fewer in-sync replicas than min\.insync\.replicas=2/);
});

Deno.test("a topic with a leaderless partition is not writable", () => {
  assert.match(unwritableReason("t", [p(0, -1, []), p(1, 2, [2])], 1)!, /partitions 0 have no leader/);
});

Deno.test("a topic without partitions is not writable", () => {
  assert.match(unwritableReason("t", [], 1)!, /no partitions/);
});

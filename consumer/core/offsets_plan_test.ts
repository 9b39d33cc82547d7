import assert from "node:assert/strict";
import { formatPlan, parseTime, planReset } from "./offsets_plan.ts";

const partitions = [
  { partition: 0, committed: 50n, low: 10n, high: 100n, atTime: 30n },
  { partition: 1, low: 0n, high: 5n },
];

Deno.test("earliest and latest move to the log range's ends", () => {
  assert.deepEqual(planReset({ kind: "earliest" }, partitions).map((p) => p.next), [10n, 0n]);
  assert.deepEqual(planReset({ kind: "latest" }, partitions).map((p) => p.next), [100n, 5n]);
});

Deno.test("to-time uses the offset for the timestamp, else the log end", () => {
  assert.deepEqual(planReset({ kind: "time", epochMs: 1 }, partitions).map((p) => p.next), [30n, 5n]);
});

Deno.test("shift moves from the committed offset, clamped to the log range; uncommitted partitions stay", () => {
  const back = planReset({ kind: "shift", by: -45n }, partitions);
  assert.equal(back[0].next, 10n);
  assert.equal(back[0].note, "clamped to the log range");
  assert.equal(back[1].next, undefined);
  assert.match(back[1].note!, /no committed offset/);
  assert.equal(planReset({ kind: "shift", by: 7n }, partitions)[0].next, 57n);
});

Deno.test("the table lists old committed, new, log-start and log-end per partition", () => {
  const table = formatPlan("logs", planReset({ kind: "earliest" }, partitions)).split("\n");
  assert.match(table[0], /^TOPIC\s+PARTITION\s+OLD-COMMITTED\s+NEW\s+LOG-START\s+LOG-END/);
  assert.match(table[1], /^logs\s+0\s+50\s+10\s+10\s+100$/);
  assert.match(table[2], /^logs\s+1\s+-\s+0\s+0\s+5$/);
});

Deno.test("--to-time accepts ISO 8601 with a zone or epoch milliseconds", () => {
  assert.equal(parseTime("2024-05-01T12:00:00Z"), Date.UTC(2024, 4, 1, 12));
  assert.equal(parseTime("2024-05-01T14:00:00+02:00"), Date.UTC(2024, 4, 1, 12));
  assert.equal(parseTime("1714564800000"), 1714564800000);
  assert.equal(parseTime("2024-05-01"), undefined, "a zone-less time is ambiguous");
  assert.equal(parseTime("yesterday"), undefined);
});

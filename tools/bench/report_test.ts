import assert from "node:assert/strict";
import { describeLoad, recordLoad, takeJsonFlag } from "./report.ts";

Deno.test("takeJsonFlag takes --json with its path out of the arguments", () => {
  const args = ["--quick", "--json", "out.json", "--pairs", "2"];
  assert.equal(takeJsonFlag(args, "default.json"), "out.json");
  assert.deepEqual(args, ["--quick", "--pairs", "2"]);
});

Deno.test("takeJsonFlag gives the default path when another flag or nothing follows --json", () => {
  const followed = ["--json", "--quick"];
  assert.equal(takeJsonFlag(followed, "default.json"), "default.json");
  assert.deepEqual(followed, ["--quick"]);
  const last = ["--quick", "--json"];
  assert.equal(takeJsonFlag(last, "default.json"), "default.json");
  assert.deepEqual(last, ["--quick"]);
});

Deno.test("takeJsonFlag leaves the arguments alone without --json", () => {
  const args = ["--quick", "json"];
  assert.equal(takeJsonFlag(args, "default.json"), undefined);
  assert.deepEqual(args, ["--quick", "json"]);
});

Deno.test("takeJsonFlag takes - (stdout) as a path", () => {
  const args = ["--json", "-"];
  assert.equal(takeJsonFlag(args, "default.json"), "-");
  assert.deepEqual(args, []);
});

Deno.test("recordLoad keeps the start, every sample and the end, and the highest 1-minute average", () => {
  const readings = [[0.5, 0.4, 0.3], [3.5, 1, 0.5], [1.2, 1.1, 0.6], [0.9, 1, 0.7]];
  let i = 0;
  const load = recordLoad(() => readings[i++]);
  load.sample();
  load.sample();
  const summary = load.finish();
  assert.deepEqual(summary.start, [0.5, 0.4, 0.3]);
  assert.deepEqual(summary.end, [0.9, 1, 0.7]);
  assert.equal(summary.samples.length, 3, "start and the two samples; the end is kept apart");
  assert.equal(summary.max, 3.5);
});

Deno.test("describeLoad adds a note only when the load passed 1.5 x the CPUs", () => {
  const quiet = { start: [1, 1, 1], end: [2, 1, 1], samples: [[1, 1, 1]], max: 3 };
  const quietInfo = describeLoad(quiet, 2, "re-run.");
  assert.equal(quietInfo.line, "load average: 1 1 1 at start, 2 1 1 at end (max 1-min during run 3.00)");
  assert.equal(quietInfo.note, undefined);
  const busy = describeLoad({ ...quiet, max: 3.01 }, 2, "re-run.");
  assert.match(busy.note ?? "", /reached 3\.01 on 2 CPUs: other work may have disturbed this run; re-run\.$/);
});

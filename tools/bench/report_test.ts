import assert from "node:assert/strict";
import { takeJsonFlag } from "./report.ts";

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

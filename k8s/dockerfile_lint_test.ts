import assert from "node:assert/strict";
import { lintDockerfile } from "./dockerfile_lint.ts";

const root = new URL("../", import.meta.url);

for (
  const [dir, entry] of [["producer", "producer/main.ts"], ["consumer", "consumer/main.ts"], [
    "operator",
    "operator/main.ts",
  ]]
) {
  Deno.test(`${dir}/Dockerfile: pinned deno base, deps cached at build, --cached-only, numeric non-root user`, async () => {
    const text = await Deno.readTextFile(new URL(`${dir}/Dockerfile`, root));
    assert.deepEqual(lintDockerfile(text, entry), []);
  });
}

Deno.test("lintDockerfile: reports a latest base, root user, no cache step and shell-form CMD together", () => {
  const problems = lintDockerfile(
    "FROM denoland/deno:latest\nUSER root\nCMD deno run -A main.ts\n",
    "main.ts",
  );
  assert.equal(problems.length, 6, problems.join("\n"));
  assert.ok(problems.some((p) => p.includes("pinned version")));
  assert.ok(problems.some((p) => p.includes("numeric non-root")));
  assert.ok(problems.some((p) => p.includes("cached at build time")));
  assert.ok(problems.some((p) => p.includes("exec (JSON) form")));
});

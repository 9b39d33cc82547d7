import assert from "node:assert/strict";
import { imageRuntime, parseImageRuntime } from "./image.ts";

Deno.test("parseImageRuntime reads the ENTRYPOINT's V8 flags and the ENV lines, minus the image's cache settings", () => {
  const got = parseImageRuntime([
    "FROM denoland/deno:2.9.6",
    "ENV DENO_DIR=/deno-dir DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1",
    "ENV MALLOC_ARENA_MAX=2",
    "ENV A=1 B=x=y",
    'ENTRYPOINT ["deno", "run", "--cached-only", "--v8-flags=--max-old-space-size=256,--foo", "--allow-net"]',
    'CMD ["producer/main.ts"]',
  ].join("\n"));
  assert.deepEqual(got, {
    v8Flags: "--max-old-space-size=256,--foo",
    env: { MALLOC_ARENA_MAX: "2", A: "1", B: "x=y" },
  });
});

Deno.test("parseImageRuntime says so when the ENTRYPOINT has no V8 flags", () => {
  assert.deepEqual(parseImageRuntime('ENTRYPOINT ["deno", "run", "-A"]'), { v8Flags: undefined, env: {} });
});

Deno.test("parseImageRuntime refuses a Dockerfile it cannot read the runtime from", () => {
  assert.throws(() => parseImageRuntime("FROM x\nENTRYPOINT deno run"), /no ENTRYPOINT in JSON form/);
  assert.throws(
    () => parseImageRuntime('ENV "quoted value"\nENTRYPOINT ["deno"]'),
    /expected ENV NAME=value/,
  );
});

Deno.test("the gateway image caps V8's heap and sets two malloc arenas", async () => {
  const got = await imageRuntime(new URL("../../producer/Dockerfile", import.meta.url));
  assert.match(got.v8Flags ?? "", /--max-old-space-size=\d+/);
  assert.equal(got.env.MALLOC_ARENA_MAX, "2");
});

import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseApiKeyFile, sha256Hex } from "../producer/core/auth/api_key.ts";
import { newKey } from "./apikey.ts";

Deno.test("apikey new prints a key and a gateway-valid entry holding only the key's hash", async () => {
  const { key, entryYaml } = await newKey(["ci-orders", "--topics", "orders, audit", "--rate", "100:200"]);
  assert.match(key, /^ke_[A-Za-z0-9_-]{43}$/);
  assert.ok(!entryYaml.includes(key.slice(3)), "the entry must not contain the key");
  const [entry] = parseApiKeyFile({ keys: parse(entryYaml) });
  assert.deepEqual(entry, {
    id: "ci-orders",
    sha256: await sha256Hex(key),
    topics: ["orders", "audit"],
    rate: { perSecond: 100, burst: 200 },
    disabled: false,
  });
});

Deno.test("apikey new defaults to every topic and refuses bad arguments with the reason", async () => {
  const { entryYaml } = await newKey(["dev"]);
  assert.equal(parseApiKeyFile({ keys: parse(entryYaml) })[0].topics, "*");
  await assert.rejects(newKey([]), /missing <id>/);
  await assert.rejects(newKey(["ci", "--topic", "x"]), /unknown option --topic/);
  await assert.rejects(newKey(["ci", "--rate", "fast"]), /perSecond: must be a number/);
  await assert.rejects(newKey(["has space"]), /\.id: must be/);
});

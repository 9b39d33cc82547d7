import assert from "node:assert/strict";
import {
  type ApiKeyEntry,
  ApiKeyFileError,
  createApiKeyAuthenticator,
  generateApiKey,
  MAX_API_KEY_LENGTH,
  parseApiKeyFile,
  sha256Hex,
} from "./api_key.ts";
import { bearer } from "./test_util.ts";

const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);

function fileProblems(content: unknown): readonly string[] {
  try {
    parseApiKeyFile(content);
  } catch (err) {
    assert.ok(err instanceof ApiKeyFileError, String(err));
    return err.problems;
  }
  return assert.fail("file was accepted");
}

Deno.test("sha256Hex is the lower-case hex SHA-256 of the UTF-8 bytes", async () => {
  assert.equal(await sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

Deno.test("generated keys are ke_ + 43 base64url characters and never repeat", () => {
  const keys = new Set(Array.from({ length: 200 }, generateApiKey));
  assert.equal(keys.size, 200);
  for (const key of keys) assert.match(key, /^ke_[A-Za-z0-9_-]{43}$/);
});

Deno.test("parseApiKeyFile normalises a valid file", () => {
  const entries = parseApiKeyFile({
    keys: [
      { id: "ci", sha256: HASH_A.toUpperCase(), topics: ["orders", "orders", "audit"] },
      { id: "admin", sha256: HASH_B, topics: "*", rate: { perSecond: 5, burst: 10 }, disabled: true },
    ],
  });
  assert.deepEqual(entries, [
    { id: "ci", sha256: HASH_A, topics: ["orders", "audit"], disabled: false },
    { id: "admin", sha256: HASH_B, topics: "*", rate: { perSecond: 5, burst: 10 }, disabled: true },
  ]);
  assert.deepEqual(parseApiKeyFile({ keys: [] }), [], "an empty list (every key revoked) is valid");
});

Deno.test("parseApiKeyFile names the entry, the field and the fix for each mistake", async (t) => {
  const valid = { id: "ci", sha256: HASH_A, topics: ["orders"] };
  const cases: ReadonlyArray<{ name: string; content: unknown; expect: readonly RegExp[] }> = [
    { name: "not a mapping", content: ["x"], expect: [/must be a mapping with a `keys:` list/] },
    { name: "keys is not a list", content: { keys: { ci: valid } }, expect: [/^keys: must be a list/] },
    {
      name: "unknown top-level field",
      content: { keys: [], key: [] },
      expect: [/^top level: unknown field "key"/],
    },
    {
      name: "entry is not a mapping",
      content: { keys: ["ke_x"] },
      expect: [/^keys\[0\]: must be a mapping/],
    },
    {
      name: "missing id",
      content: { keys: [{ ...valid, id: undefined }] },
      expect: [/^keys\[0\]\.id: must be 1-128 characters .*\(id: ci-orders\)/],
    },
    {
      name: "hash of the wrong length",
      content: { keys: [{ ...valid, sha256: "abc123" }] },
      expect: [
        /^keys\[0\] \(id "ci"\)\.sha256: must be 64 hex characters .*got 6 characters.*tools\/apikey\.ts/,
      ],
    },
    {
      name: "non-hex hash",
      content: { keys: [{ ...valid, sha256: "g".repeat(64) }] },
      expect: [/\.sha256: must be 64 hex/],
    },
    {
      name: "topics missing",
      content: { keys: [{ ...valid, topics: undefined }] },
      expect: [/^keys\[0\] \(id "ci"\)\.topics: must be "\*" or a non-empty list .*topics: \["orders"/],
    },
    {
      name: "topics empty",
      content: { keys: [{ ...valid, topics: [] }] },
      expect: [/\.topics: must be "\*" or/],
    },
    {
      name: "* inside a topic list",
      content: { keys: [{ ...valid, topics: ["orders", "*"] }] },
      expect: [/\.topics: "\*" must stand alone/],
    },
    {
      name: "non-string topic",
      content: { keys: [{ ...valid, topics: ["orders", 7] }] },
      expect: [/\.topics: every topic must be a non-empty string/],
    },
    {
      name: "rate without burst and with a zero perSecond",
      content: { keys: [{ ...valid, rate: { perSecond: 0 } }] },
      expect: [
        /\.rate\.perSecond: must be a number greater than 0/,
        /\.rate\.burst: must be a number of at least 1/,
      ],
    },
    {
      name: "misspelled disabled",
      content: { keys: [{ ...valid, disable: true }] },
      expect: [
        /^keys\[0\] \(id "ci"\): unknown field "disable"; allowed fields are id, sha256, .*disabled/,
      ],
    },
    {
      name: "disabled as a string",
      content: { keys: [{ ...valid, disabled: "yes" }] },
      expect: [/\.disabled: must be true or false/],
    },
    {
      name: "duplicate id",
      content: { keys: [valid, { ...valid, sha256: HASH_B }] },
      expect: [/^keys\[1\] \(id "ci"\)\.id: duplicates keys\[0\]/],
    },
    {
      name: "the same key under two ids",
      content: { keys: [valid, { ...valid, id: "ci-2", sha256: HASH_A.toUpperCase() }] },
      expect: [/^keys\[1\] \(id "ci-2"\)\.sha256: same key as keys\[0\]/],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const problems = fileProblems(c.content);
      assert.equal(problems.length, c.expect.length, problems.join("\n"));
      c.expect.forEach((pattern, i) => assert.match(problems[i], pattern));
    });
  }
});

Deno.test("parseApiKeyFile reports every broken entry at once", () => {
  const problems = fileProblems({
    keys: [{ id: "ok", sha256: HASH_A, topics: "*" }, { id: "x", sha256: "1", topics: "*" }, {
      id: "y",
      topics: [],
    }],
  });
  assert.deepEqual(problems.map((p) => p.split(":")[0]), [
    'keys[1] (id "x").sha256',
    'keys[2] (id "y").sha256',
    'keys[2] (id "y").topics',
  ]);
});

Deno.test("a raw key pasted as the hash is flagged without being echoed", () => {
  const key = generateApiKey();
  const problems = fileProblems({ keys: [{ id: "ci", sha256: key, topics: "*" }] });
  assert.match(problems[0], /looks like a raw API key/);
  assert.ok(!problems.join("\n").includes(key.slice(3, 20)));
});

Deno.test("api-key authentication", async (t) => {
  const key = generateApiKey();
  const revoked = generateApiKey();
  const entries: ApiKeyEntry[] = [
    {
      id: "ci",
      sha256: await sha256Hex(key),
      topics: ["orders"],
      rate: { perSecond: 1, burst: 2 },
      disabled: false,
    },
    { id: "old", sha256: await sha256Hex(revoked), topics: "*", disabled: true },
  ];
  const auth = createApiKeyAuthenticator(entries);
  const principal = { id: "ci", method: "api-key", topics: ["orders"], rate: { perSecond: 1, burst: 2 } };

  await t.step("accepts the key in X-API-Key or as a Bearer token of any scheme case", async () => {
    for (
      const headers of [
        new Headers({ "x-api-key": key }),
        bearer(key),
        new Headers({ authorization: `bearer ${key}` }),
      ]
    ) {
      assert.deepEqual(await auth.authenticate(headers), { ok: true, principal });
    }
  });
  await t.step("X-API-Key wins over a Bearer token", async () => {
    const headers = new Headers({ "x-api-key": key, authorization: `Bearer ${revoked}` });
    assert.equal((await auth.authenticate(headers))?.ok, true);
  });
  await t.step("unknown and disabled keys get the identical answer", async () => {
    const unknown = await auth.authenticate(new Headers({ "x-api-key": generateApiKey() }));
    const disabled = await auth.authenticate(new Headers({ "x-api-key": revoked }));
    assert.deepEqual(unknown, {
      ok: false,
      status: 401,
      code: "invalid_credentials",
      message: "credentials are not valid",
    });
    assert.deepEqual(disabled, unknown);
  });
  await t.step("keys are case-sensitive", async () => {
    const flipped = key.slice(0, 3) + key.slice(3).replace(/[a-z]/, (c) => c.toUpperCase());
    assert.notEqual(flipped, key);
    assert.equal((await auth.authenticate(new Headers({ "x-api-key": flipped })))?.ok, false);
  });
  await t.step("an over-long key is refused", async () => {
    const long = "k".repeat(MAX_API_KEY_LENGTH + 1);
    const withLong = createApiKeyAuthenticator([{ ...entries[0], sha256: await sha256Hex(long) }]);
    assert.equal((await withLong.authenticate(new Headers({ "x-api-key": long })))?.ok, false);
  });
  await t.step("leaves JWT-shaped Bearer tokens and other schemes to other methods", async () => {
    assert.equal(await auth.authenticate(bearer("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")), null);
    assert.equal(await auth.authenticate(new Headers({ authorization: "Basic dXNlcjpwYXNz" })), null);
  });
});

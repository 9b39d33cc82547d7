/**
 * The behaviour every authenticator promises, run against each implementation. A new auth method
 * joins by adding one row to SUBJECTS.
 */
import assert from "node:assert/strict";
import type { Authenticator, AuthResult } from "../types.ts";
import { createApiKeyAuthenticator, generateApiKey, sha256Hex } from "./api_key.ts";
import { createJwtAuthenticator } from "./jwt.ts";
import { createNoAuthenticator } from "./none.ts";
import {
  AUDIENCE,
  b64url,
  bearer,
  fixedClock,
  goodClaims,
  ISSUER,
  NOW_S,
  sign,
  signingKey,
  signWith,
} from "./test_util.ts";

interface Setup {
  readonly authenticator: Authenticator;
  readonly valid: Headers;
  /** Each with the credential string it carries, which no answer may echo. */
  readonly invalid: ReadonlyArray<{ readonly headers: Headers; readonly credential: string }>;
}

interface Subject {
  readonly name: string;
  /** `none` accepts requests without credentials instead of passing them on. */
  readonly needsCredentials: boolean;
  setup(): Promise<Setup>;
}

const HS_SECRET = "0123456789abcdef0123456789abcdef-test-secret";

const SUBJECTS: readonly Subject[] = [
  {
    name: "api-key",
    needsCredentials: true,
    async setup() {
      const key = generateApiKey();
      const revoked = generateApiKey();
      const unknown = generateApiKey();
      const authenticator = createApiKeyAuthenticator([
        { id: "ci", sha256: await sha256Hex(key), topics: ["orders"], disabled: false },
        { id: "old", sha256: await sha256Hex(revoked), topics: "*", disabled: true },
      ]);
      return {
        authenticator,
        valid: new Headers({ "x-api-key": key }),
        invalid: [
          { headers: new Headers({ "x-api-key": unknown }), credential: unknown },
          { headers: bearer(unknown), credential: unknown },
          { headers: new Headers({ "x-api-key": revoked }), credential: revoked },
          { headers: new Headers({ "x-api-key": key.slice(0, -1) }), credential: key.slice(0, -1) },
        ],
      };
    },
  },
  {
    name: "jwt RS256 with a local JWKS",
    needsCredentials: true,
    async setup() {
      const key = await signingKey("RS256", "k1");
      const stranger = await signingKey("RS256", "k1");
      const authenticator = createJwtAuthenticator({
        keys: { kind: "jwks", jwks: key.jwks },
        audience: AUDIENCE,
        issuer: ISSUER,
        clock: fixedClock,
      });
      const forged = await signWith(stranger);
      const expired = await signWith(key, goodClaims({ exp: NOW_S - 3600 }));
      return {
        authenticator,
        valid: bearer(await signWith(key)),
        invalid: [{ headers: bearer(forged), credential: forged }, {
          headers: bearer(expired),
          credential: expired,
        }],
      };
    },
  },
  {
    name: "jwt ES256 with a local JWKS",
    needsCredentials: true,
    async setup() {
      const key = await signingKey("ES256", "e1");
      const authenticator = createJwtAuthenticator({
        keys: { kind: "jwks", jwks: key.jwks },
        audience: AUDIENCE,
        issuer: ISSUER,
        clock: fixedClock,
      });
      const wrongAudience = await signWith(key, goodClaims({ aud: "someone-else" }));
      return {
        authenticator,
        valid: bearer(await signWith(key)),
        invalid: [{ headers: bearer(wrongAudience), credential: wrongAudience }],
      };
    },
  },
  {
    name: "jwt HS256 with a shared secret",
    needsCredentials: true,
    async setup() {
      const secret = new TextEncoder().encode(HS_SECRET);
      const authenticator = createJwtAuthenticator({
        keys: { kind: "secret", secret: HS_SECRET },
        audience: AUDIENCE,
        issuer: ISSUER,
        clock: fixedClock,
      });
      const otherSecret = await sign(new TextEncoder().encode(HS_SECRET + "x"), goodClaims(), {
        alg: "HS256",
      });
      return {
        authenticator,
        valid: bearer(await sign(secret, goodClaims(), { alg: "HS256" })),
        invalid: [{ headers: bearer(otherSecret), credential: otherSecret }],
      };
    },
  },
  {
    name: "none",
    needsCredentials: false,
    setup() {
      return Promise.resolve({ authenticator: createNoAuthenticator(), valid: new Headers(), invalid: [] });
    },
  },
];

function garbageHeaders(): ReadonlyArray<readonly [label: string, init: Record<string, string>]> {
  const header = b64url(JSON.stringify({ alg: "RS256", kid: "k1" }));
  return [
    ["empty Bearer", { authorization: "Bearer" }],
    ["Bearer with only spaces", { authorization: "Bearer    " }],
    ["Bearer + 10k characters", { authorization: "Bearer " + "A".repeat(10_000) }],
    ["JWT-shaped 10k-character token", { authorization: `Bearer ${"a".repeat(5000)}.${"b".repeat(5000)}.c` }],
    ["1 MB X-API-Key", { "x-api-key": "k".repeat(1_000_000) }],
    ["empty X-API-Key", { "x-api-key": "" }],
    ["latin-1 bytes in a Bearer token", { authorization: "Bearer \u00fc\u00ff\u00e9.\u00e0.\u00e7" }],
    ["latin-1 bytes in X-API-Key", { "x-api-key": "cl\u00e9-\u00fc\u00ff" }],
    ["Basic credentials", { authorization: "Basic dXNlcjpwYXNz" }],
    ["an unknown scheme only", { authorization: "Negotiate" }],
    ["JWT-shaped but not base64 JSON", { authorization: "Bearer a.b.c" }],
    ["JWT header that is not JSON", { authorization: `Bearer ${b64url("{")}.${b64url("{}")}.sig` }],
    ["JWT payload that is an array", { authorization: `Bearer ${header}.${b64url("[1,2]")}.c2ln` }],
    ["JWT header that is null", { authorization: `Bearer ${b64url("null")}.${b64url("{}")}.c2ln` }],
    ["two tokens folded into one header", { authorization: "Bearer a.b.c, Bearer d.e.f" }],
    ["JWE-shaped five segments", { authorization: "Bearer a.b.c.d.e" }],
  ];
}

function assertUnauthorized(result: AuthResult | null, credential: string, label: string): void {
  assert.ok(result !== null, `${label}: claimed as not its credential`);
  assert.equal(result.ok, false, `${label}: was accepted`);
  if (result.ok) return;
  assert.equal(result.status, 401, label);
  assert.match(result.code, /^[a-z]+(_[a-z]+)*$/, `${label}: code`);
  assert.ok(result.message.length > 0, `${label}: empty message`);
  // Also no recognisable piece of it (e.g. one JWT segment); tiny strings would match by chance.
  for (const piece of [credential, ...credential.split(".")].filter((p) => p.length >= 8)) {
    assert.ok(!result.message.includes(piece), `${label}: message echoes part of the credential`);
  }
}

for (const subject of SUBJECTS) {
  Deno.test(`authenticator contract: ${subject.name}`, async (t) => {
    const { authenticator, valid, invalid } = await subject.setup();

    await t.step("a valid credential yields a principal with an id, its method and topics", async () => {
      const result = await authenticator.authenticate(valid);
      assert.ok(result?.ok, `rejected: ${JSON.stringify(result)}`);
      const { principal } = result;
      assert.equal(typeof principal.id, "string");
      assert.ok(principal.id.length > 0);
      assert.equal(principal.method, authenticator.method);
      assert.ok(
        principal.topics === "*" ||
          (Array.isArray(principal.topics) && principal.topics.every((topic) => typeof topic === "string")),
      );
    });

    await t.step(
      "an invalid credential is a 401 with a code and a message that never echoes it",
      async () => {
        for (const [i, { headers, credential }] of invalid.entries()) {
          assertUnauthorized(await authenticator.authenticate(headers), credential, `invalid[${i}]`);
        }
      },
    );

    await t.step(
      subject.needsCredentials
        ? "no credentials means null, so the next method is tried"
        : "no credentials is fine",
      async () => {
        const result = await authenticator.authenticate(new Headers({ "content-type": "application/json" }));
        if (subject.needsCredentials) assert.equal(result, null);
        else assert.equal(result?.ok, true);
      },
    );

    await t.step("garbage headers never throw and are never accepted by a credential method", async () => {
      for (const [label, init] of garbageHeaders()) {
        const result = await authenticator.authenticate(new Headers(init));
        if (!subject.needsCredentials) {
          assert.equal(result?.ok, true, label);
          continue;
        }
        if (result === null) continue;
        const credential = init["x-api-key"] ?? init.authorization.replace(/^\S+\s*/, "");
        assertUnauthorized(result, credential, label);
      }
    });
  });
}

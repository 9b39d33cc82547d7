import assert from "node:assert/strict";
import type { Authenticator, AuthResult, Principal } from "../types.ts";
import { createApiKeyAuthenticator, generateApiKey, sha256Hex } from "./api_key.ts";
import { authorizeTopic, createAuthChain } from "./chain.ts";
import { AuthUnavailableError, createJwtAuthenticator } from "./jwt.ts";
import { createNoAuthenticator } from "./none.ts";
import { AUDIENCE, bearer, fixedClock, ISSUER, signingKey, signWith } from "./test_util.ts";

const key = generateApiKey();
const rsa = await signingKey("RS256", "k1");
const apiKeys = createApiKeyAuthenticator([
  { id: "ci", sha256: await sha256Hex(key), topics: ["orders"], disabled: false },
]);
const jwt = createJwtAuthenticator({
  keys: { kind: "jwks", jwks: rsa.jwks },
  audience: AUDIENCE,
  issuer: ISSUER,
  clock: fixedClock,
});

function methodOf(result: AuthResult): string {
  assert.ok(result.ok, JSON.stringify(result));
  return result.principal.method;
}

Deno.test("auth chain routes Bearer API keys and JWTs to the right method in either order", async () => {
  for (const chain of [createAuthChain([apiKeys, jwt]), createAuthChain([jwt, apiKeys])]) {
    assert.equal(methodOf(await chain(bearer(key))), "api-key");
    assert.equal(methodOf(await chain(bearer(await signWith(rsa)))), "jwt");
    assert.equal(methodOf(await chain(new Headers({ "x-api-key": key }))), "api-key");
  }
});

Deno.test("auth chain without credentials says missing_credentials, naming accepted methods", async () => {
  const result = await createAuthChain([apiKeys, jwt])(new Headers());
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.status, 401);
  assert.equal(result.code, "missing_credentials");
  assert.match(result.message, /X-API-Key/);
  assert.match(result.message, /JWT/);
});

Deno.test("auth chain answers invalid_credentials for credentials no method recognises", async () => {
  const cases: ReadonlyArray<readonly [string, Authenticator[], Headers]> = [
    ["Basic credentials", [apiKeys, jwt], new Headers({ authorization: "Basic dXNlcjpwYXNz" })],
    ["an API key when only JWTs are enabled", [jwt], bearer(key)],
    ["a JWT when only API keys are enabled", [apiKeys], bearer(await signWith(rsa))],
  ];
  for (const [name, authenticators, headers] of cases) {
    const result = await createAuthChain(authenticators)(headers);
    assert.equal(result.ok ? "accepted" : result.code, "invalid_credentials", name);
  }
});

Deno.test("auth chain: a rejected credential never falls through to a later, laxer method", async () => {
  const chain = createAuthChain([apiKeys, createNoAuthenticator()]);
  const result = await chain(new Headers({ "x-api-key": generateApiKey() }));
  assert.equal(result.ok, false);
  assert.equal(methodOf(await chain(new Headers())), "none");
});

Deno.test("auth chain lets an authenticator's outage error through for a 503", async () => {
  const failing: Authenticator = {
    method: "jwt",
    authenticate: () => Promise.reject(new AuthUnavailableError("JWKS endpoint did not provide keys")),
  };
  await assert.rejects(createAuthChain([failing])(bearer("a.b.c")), AuthUnavailableError);
});

Deno.test("auth chain needs at least one authenticator", () => {
  assert.throws(() => createAuthChain([]), /at least one/);
});

Deno.test("authorizeTopic allows listed topics or *, and forbids the rest with 403", async (t) => {
  const cases: ReadonlyArray<{ topics: Principal["topics"]; topic: string; allowed: boolean }> = [
    { topics: "*", topic: "anything", allowed: true },
    { topics: ["orders", "audit"], topic: "audit", allowed: true },
    { topics: ["orders"], topic: "payments", allowed: false },
    { topics: ["orders"], topic: "Orders", allowed: false },
    { topics: ["orders"], topic: "orders.v2", allowed: false },
    { topics: [], topic: "orders", allowed: false },
  ];
  for (const c of cases) {
    await t.step(`${JSON.stringify(c.topics)} → ${c.topic}: ${c.allowed ? "allowed" : "forbidden"}`, () => {
      const decision = authorizeTopic({ id: "svc", method: "jwt", topics: c.topics }, c.topic);
      if (c.allowed) return assert.deepEqual(decision, { ok: true });
      assert.deepEqual(decision, {
        ok: false,
        status: 403,
        code: "forbidden",
        message: `jwt principal "svc" may not write to topic ${JSON.stringify(c.topic)}`,
      });
    });
  }
});

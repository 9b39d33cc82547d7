import assert from "node:assert/strict";
import { exportJWK, exportSPKI, type JWTPayload } from "jose";
import type { AuthResult } from "../types.ts";
import {
  AuthUnavailableError,
  createJwtAuthenticator,
  JwtConfigError,
  type JwtOptions,
  parseTopicMap,
} from "./jwt.ts";
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

const rsa = await signingKey("RS256", "rsa-1");
const ec = await signingKey("ES256", "ec-1");

function authenticator(overrides: Partial<JwtOptions> = {}) {
  return createJwtAuthenticator({
    keys: { kind: "jwks", jwks: { keys: [...rsa.jwks.keys, ...ec.jwks.keys] } },
    audience: AUDIENCE,
    issuer: ISSUER,
    clock: fixedClock,
    clockToleranceSeconds: 30,
    ...overrides,
  });
}

function configProblems(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (err) {
    assert.ok(err instanceof JwtConfigError, String(err));
    return err.problems;
  }
  return assert.fail("configuration was accepted");
}

function rejected(result: AuthResult | null): { code: string; message: string } {
  assert.ok(result !== null, "not recognised as a JWT");
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(result)}`);
  if (result.ok) throw new Error("unreachable");
  assert.equal(result.status, 401);
  return { code: result.code, message: result.message };
}

Deno.test("jwt rejects each unacceptable token with a 401 saying why", async (t) => {
  const spkiPem = await exportSPKI(rsa.publicKey);
  const publicJwkJson = JSON.stringify(await exportJWK(rsa.publicKey));
  const pss = await signingKey("PS256", "rsa-1");
  const cases: ReadonlyArray<{ name: string; token: () => Promise<string>; code: string; message: RegExp }> =
    [
      {
        name: "expired beyond the clock tolerance",
        token: () => signWith(rsa, goodClaims({ exp: NOW_S - 31 })),
        code: "token_expired",
        message: /expired/,
      },
      {
        name: "not valid before a time beyond the tolerance",
        token: () => signWith(rsa, goodClaims({ nbf: NOW_S + 31 })),
        code: "invalid_credentials",
        message: /not valid yet/,
      },
      {
        name: "issued for another audience",
        token: () => signWith(rsa, goodClaims({ aud: "other-service" })),
        code: "invalid_credentials",
        message: /audience/,
      },
      {
        name: "issued by another issuer",
        token: () => signWith(rsa, goodClaims({ iss: "https://evil.test/" })),
        code: "invalid_credentials",
        message: /issuer/,
      },
      {
        name: "without exp",
        token: () => signWith(rsa, goodClaims({ exp: undefined })),
        code: "invalid_credentials",
        message: /"exp"/,
      },
      {
        name: "without aud",
        token: () => signWith(rsa, goodClaims({ aud: undefined })),
        code: "invalid_credentials",
        message: /"aud"/,
      },
      {
        name: "without iss",
        token: () => signWith(rsa, goodClaims({ iss: undefined })),
        code: "invalid_credentials",
        message: /"iss"/,
      },
      {
        name: "without sub",
        token: () => signWith(rsa, goodClaims({ sub: undefined })),
        code: "invalid_credentials",
        message: /"sub"/,
      },
      {
        name: "alg none, hand-crafted with an empty signature",
        token: () =>
          Promise.resolve(
            `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(goodClaims()))}.`,
          ),
        code: "invalid_credentials",
        message: /algorithm/,
      },
      {
        name: "HS256 signed with the RS public key's PEM as the HMAC secret (alg confusion)",
        token: () => sign(new TextEncoder().encode(spkiPem), goodClaims(), { alg: "HS256", kid: rsa.kid }),
        code: "invalid_credentials",
        message: /algorithm/,
      },
      {
        name: "HS256 signed with the RS public JWK's JSON as the HMAC secret (alg confusion)",
        token: () =>
          sign(new TextEncoder().encode(publicJwkJson), goodClaims(), { alg: "HS256", kid: rsa.kid }),
        code: "invalid_credentials",
        message: /algorithm/,
      },
      {
        name: "a correctly signed PS256 token when only RS256 and ES256 are pinned",
        token: () => signWith(pss),
        code: "invalid_credentials",
        message: /algorithm/,
      },
      {
        name: "signed by a key that is not in the JWKS",
        token: async () => signWith(await signingKey("RS256", "rsa-unknown")),
        code: "invalid_credentials",
        message: /known key/,
      },
      {
        name: "signed by a different key published under the same kid",
        token: async () => signWith(await signingKey("RS256", "rsa-1")),
        code: "invalid_credentials",
        message: /signature/,
      },
      {
        name: "a valid token whose payload was altered after signing",
        token: async () => {
          const [h, , s] = (await signWith(rsa)).split(".");
          return `${h}.${b64url(JSON.stringify(goodClaims({ topics: "*" })))}.${s}`;
        },
        code: "invalid_credentials",
        message: /signature/,
      },
    ];
  const auth = authenticator();
  for (const c of cases) {
    await t.step(c.name, async () => {
      const token = await c.token();
      const { code, message } = rejected(await auth.authenticate(bearer(token)));
      assert.equal(code, c.code);
      assert.match(message, c.message);
    });
  }
});

Deno.test("jwt tolerates clock skew up to the configured tolerance and no further", async () => {
  const auth = authenticator({ clockToleranceSeconds: 5 });
  const ok = await auth.authenticate(
    bearer(await signWith(rsa, goodClaims({ exp: NOW_S - 4, nbf: NOW_S + 4 }))),
  );
  assert.equal(ok?.ok, true);
  rejected(await auth.authenticate(bearer(await signWith(rsa, goodClaims({ exp: NOW_S - 6 })))));
  rejected(await auth.authenticate(bearer(await signWith(rsa, goodClaims({ nbf: NOW_S + 6 })))));
});

Deno.test("jwt judges time by the injected clock, not the system clock", async () => {
  // nbf lies in 2031: the token is valid only if the fixed test clock is consulted, not the real one.
  const token = await signWith(rsa, goodClaims({ iat: NOW_S - 10, nbf: NOW_S - 10, exp: NOW_S + 60 }));
  assert.equal((await authenticator().authenticate(bearer(token)))?.ok, true);
  const later = authenticator({ clock: { now: () => (NOW_S + 3600) * 1000 } });
  assert.equal(rejected(await later.authenticate(bearer(token))).code, "token_expired");
});

Deno.test("jwt accepts any configured audience or issuer and both default algorithms", async () => {
  const auth = authenticator({ audience: ["a", AUDIENCE], issuer: ["https://old.test/", ISSUER] });
  for (const key of [rsa, ec]) {
    const result = await auth.authenticate(bearer(await signWith(key, goodClaims({ aud: [AUDIENCE, "x"] }))));
    assert.equal(result?.ok, true, key.alg);
  }
});

Deno.test("jwt with a shared secret accepts HS256 and refuses RS256 tokens", async () => {
  const secret = "s".repeat(32);
  const auth = authenticator({ keys: { kind: "secret", secret } });
  const hs = await sign(new TextEncoder().encode(secret), goodClaims(), { alg: "HS256" });
  assert.equal((await auth.authenticate(bearer(hs)))?.ok, true);
  assert.match(rejected(await auth.authenticate(bearer(await signWith(rsa)))).message, /algorithm/);
});

Deno.test("jwt principal: id is sub, topics are the claim capped by the topic map", async (t) => {
  async function principalFor(claims: JWTPayload, overrides: Partial<JwtOptions> = {}) {
    const result = await authenticator(overrides).authenticate(
      bearer(await signWith(rsa, goodClaims(claims))),
    );
    assert.ok(result?.ok, JSON.stringify(result));
    return result.principal;
  }
  await t.step("array claim", async () => {
    const principal = await principalFor({ sub: "svc-a", topics: ["orders", "orders", "audit"] });
    assert.deepEqual(principal, { id: "svc-a", method: "jwt", topics: ["orders", "audit"] });
  });
  await t.step("space-separated claim under a configured name", async () => {
    const principal = await principalFor({ scope: " orders  audit " }, { topicsClaim: "scope" });
    assert.deepEqual(principal.topics, ["orders", "audit"]);
  });
  await t.step(`"*" in the claim grants every topic`, async () => {
    assert.equal((await principalFor({ topics: ["*"] })).topics, "*");
  });
  await t.step("a missing claim grants no topics (authorisation then answers 403)", async () => {
    assert.deepEqual((await principalFor({ topics: undefined })).topics, []);
  });
  await t.step("the topic map caps what the claim grants, per subject", async () => {
    const topicMap = parseTopicMap({ "svc-orders": ["orders"], "*": ["audit"] });
    assert.deepEqual((await principalFor({ topics: ["orders", "payments"] }, { topicMap })).topics, [
      "orders",
    ]);
    assert.deepEqual((await principalFor({ topics: "*" }, { topicMap })).topics, ["orders"]);
    const other = await principalFor({ sub: "svc-other", topics: ["orders", "audit"] }, { topicMap });
    assert.deepEqual(other.topics, ["audit"], `unlisted subjects get the "*" entry`);
  });
  await t.step("subjects absent from a topic map without a * entry get nothing", async () => {
    const topicMap = parseTopicMap({ "svc-a": "*" });
    assert.deepEqual((await principalFor({ sub: "svc-b" }, { topicMap })).topics, []);
    assert.deepEqual((await principalFor({ sub: "svc-a" }, { topicMap })).topics, ["orders", "payments"]);
  });
  await t.step("the configured rate is attached", async () => {
    const rate = { perSecond: 5, burst: 10 };
    assert.deepEqual((await principalFor({}, { rate })).rate, rate);
  });
  await t.step("a malformed topics claim is a 401, not an empty grant", async () => {
    for (const topics of [42, [1, 2], { orders: true }]) {
      const token = await signWith(rsa, goodClaims({ topics }));
      assert.match(rejected(await authenticator().authenticate(bearer(token))).message, /"topics" claim/);
    }
  });
});

Deno.test("jwt ignores credentials that are not JWT-shaped so API keys can share Bearer", async () => {
  const auth = authenticator();
  assert.equal(await auth.authenticate(bearer("ke_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")), null);
  assert.equal(await auth.authenticate(new Headers({ "x-api-key": await signWith(rsa) })), null);
  assert.equal(await auth.authenticate(new Headers({ authorization: "Basic dXNlcjpwYXNz" })), null);
});

Deno.test("jwt rejects an oversized token without parsing it", async () => {
  const token = await signWith(rsa, goodClaims({ padding: "x".repeat(2000) }));
  assert.equal((await authenticator().authenticate(bearer(token)))?.ok, true);
  assert.match(
    rejected(await authenticator({ maxTokenLength: 1000 }).authenticate(bearer(token))).message,
    /longer/,
  );
});

Deno.test("jwt configuration mistakes are refused at start-up with every problem listed", async (t) => {
  const privateJwk = await exportJWK(rsa.privateKey);
  const cases: ReadonlyArray<{ name: string; options: Partial<JwtOptions>; problem: RegExp }> = [
    { name: "alg none", options: { algorithms: ["none"] }, problem: /"none" is not accepted/ },
    {
      name: "HS256 next to public keys",
      options: { algorithms: ["RS256", "HS256"] },
      problem: /HS256 needs a shared secret/,
    },
    {
      name: "RS256 with a shared secret",
      options: { algorithms: ["RS256"], keys: { kind: "secret", secret: "s".repeat(64) } },
      problem: /RS256 needs public keys/,
    },
    {
      name: "a short HMAC secret",
      options: { keys: { kind: "secret", secret: "short" } },
      problem: /at least 32 bytes/,
    },
    {
      name: "an HS512 secret shorter than 64 bytes",
      options: { algorithms: ["HS512"], keys: { kind: "secret", secret: "s".repeat(40) } },
      problem: /at least 64 bytes/,
    },
    { name: "no audience", options: { audience: [] }, problem: /audience: required/ },
    { name: "blank issuer", options: { issuer: " " }, problem: /issuer: required/ },
    { name: "a large clock tolerance", options: { clockToleranceSeconds: 3600 }, problem: /0-300 seconds/ },
    { name: "an empty algorithm list", options: { algorithms: [] }, problem: /at least one/ },
    {
      name: "a JWKS with a private key",
      options: { keys: { kind: "jwks", jwks: { keys: [{ ...privateJwk, kid: "x" }] } } },
      problem: /keys\[0\] \(kid "x"\): contains private key material/,
    },
    {
      name: "a JWKS with a symmetric key",
      options: { keys: { kind: "jwks", jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } } },
      problem: /symmetric key/,
    },
    {
      name: "an empty JWKS",
      options: { keys: { kind: "jwks", jwks: { keys: [] } } },
      problem: /at least one public key/,
    },
    {
      name: "a JWKS whose keys fit none of the algorithms",
      options: { algorithms: ["RS256"], keys: { kind: "jwks", jwks: ec.jwks } },
      problem: /no key can verify RS256/,
    },
    {
      name: "a plain-http JWKS URL",
      options: { keys: { kind: "jwks-url", url: "http://idp.example.com/jwks" } },
      problem: /must use https/,
    },
    {
      name: "a relative JWKS URL",
      options: { keys: { kind: "jwks-url", url: "/jwks" } },
      problem: /absolute URL/,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const problems = configProblems(() => authenticator(c.options));
      assert.ok(problems.some((p) => c.problem.test(p)), problems.join("\n"));
    });
  }
  await t.step("several mistakes are reported together", () => {
    const problems = configProblems(() =>
      authenticator({ audience: "", issuer: "", clockToleranceSeconds: -1 })
    );
    assert.equal(problems.length, 3, problems.join("\n"));
  });
});

Deno.test("parseTopicMap reports every malformed subject entry", () => {
  const problems = configProblems(() =>
    parseTopicMap({ "svc-a": ["orders"], "svc-b": [], "svc-c": "orders" })
  );
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems[0], /^"svc-b"/);
  assert.match(problems[1], /^"svc-c"/);
  assert.throws(() => parseTopicMap(["svc-a"]), JwtConfigError);
});

async function withJwksServer(
  respond: (request: Request) => Response | Promise<Response>,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, respond);
  try {
    await run(`http://127.0.0.1:${server.addr.port}/jwks.json`);
  } finally {
    await server.shutdown();
  }
}

function remote(url: string, timeoutMs = 2000) {
  return authenticator({ keys: { kind: "jwks-url", url, timeoutMs, cooldownMs: 0 } });
}

Deno.test("jwt fetches keys from a JWKS URL and tells a key outage apart from a bad token", async (t) => {
  await t.step("keys served by the URL verify tokens; unknown kids stay a 401", async () => {
    let fetches = 0;
    await withJwksServer(() => {
      fetches++;
      return Response.json(rsa.jwks);
    }, async (url) => {
      const auth = remote(url);
      assert.equal((await auth.authenticate(bearer(await signWith(rsa))))?.ok, true);
      assert.equal((await auth.authenticate(bearer(await signWith(rsa))))?.ok, true);
      assert.equal(fetches, 1, "keys are cached between requests");
      const stranger = await signingKey("RS256", "not-published");
      assert.match(rejected(await auth.authenticate(bearer(await signWith(stranger)))).message, /known key/);
    });
  });
  await t.step("an unreachable or broken JWKS endpoint throws AuthUnavailableError, not a 401", async () => {
    await withJwksServer(() => new Response("oops", { status: 500 }), async (url) => {
      await assert.rejects(remote(url).authenticate(bearer(await signWith(rsa))), AuthUnavailableError);
    });
    await withJwksServer(() => new Response("not json"), async (url) => {
      await assert.rejects(remote(url).authenticate(bearer(await signWith(rsa))), AuthUnavailableError);
    });
  });
  await t.step("a JWKS endpoint slower than the timeout throws AuthUnavailableError", async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => release = resolve);
    await withJwksServer(async () => {
      await released;
      return Response.json(rsa.jwks);
    }, async (url) => {
      try {
        const started = performance.now();
        await assert.rejects(
          remote(url, 100).authenticate(bearer(await signWith(rsa))),
          AuthUnavailableError,
        );
        assert.ok(performance.now() - started < 1500, "timeout not applied");
      } finally {
        release();
      }
    });
  });
});

/**
 * Abuse of the gateway's authentication, as a real process with API keys and JWT (a JWKS file) enabled:
 * missing, invalid, disabled and expired credentials, `alg: none`, wrong audience and issuer, an HS256 token
 * signed with the RSA public key (algorithm confusion), unknown keys, and topics outside the allow-list get
 * exactly 401 or 403; a burst against a rate-limited key gets 429 + Retry-After and at most burst + refill
 * accepted; and nothing refused reaches Kafka.
 */
import assert from "node:assert/strict";
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { startKafka } from "@kafka-edge/lib/testing";
import { generateApiKey, sha256Hex } from "../../producer/core/auth/mod.ts";
import { createTopics, readTopic } from "../support/read_topic.ts";
import { spawnGateway } from "../support/gateway.ts";

const ISSUER = "https://idp.faults.test/";
const AUDIENCE = "kafka-edge";

function b64url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text))).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  ).replace(/=+$/, "");
}

Deno.test({
  name: "auth abuse against the real gateway: exact 401/403, 429 under a burst, nothing refused is stored",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const t0 = Date.now();
    await using k = await startKafka({ brokers: 1, heapMb: 384 });
    await createTopics(k.bootstrap, [
      { topic: "logs", numPartitions: 1 },
      { topic: "orders", numPartitions: 1 },
    ]);
    const dir = await Deno.makeTempDir();
    const logsKey = generateApiKey();
    const disabledKey = generateApiKey();
    const limitedKey = generateApiKey();
    await Deno.writeTextFile(
      `${dir}/keys.yaml`,
      [
        "keys:",
        `  - { id: logs-only, sha256: ${await sha256Hex(logsKey)}, topics: [logs] }`,
        `  - { id: revoked, sha256: ${await sha256Hex(disabledKey)}, topics: "*", disabled: true }`,
        `  - id: limited`,
        `    sha256: ${await sha256Hex(limitedKey)}`,
        `    topics: [logs]`,
        `    rate: { perSecond: 5, burst: 20 }`,
        "",
      ].join("\n"),
    );
    const rsa = await generateKeyPair("RS256", { extractable: true });
    const other = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(rsa.publicKey);
    await Deno.writeTextFile(
      `${dir}/jwks.json`,
      JSON.stringify({ keys: [{ ...jwk, kid: "k1", alg: "RS256", use: "sig" }] }),
    );
    await using gw = await spawnGateway({
      KAFKA_BROKERS: k.bootstrap,
      TOPICS: "logs,orders",
      DEV_MODE: "false",
      AUTH_METHODS: "api-key,jwt",
      API_KEYS_FILE: `${dir}/keys.yaml`,
      JWT_JWKS_FILE: `${dir}/jwks.json`,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
    });

    const now = Math.floor(Date.now() / 1000);
    const claims = (extra: JWTPayload = {}): JWTPayload => ({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: "svc-logs",
      iat: now - 10,
      exp: now + 300,
      topics: ["logs"],
      ...extra,
    });
    const rs256 = (c: JWTPayload, key = rsa.privateKey, kid = "k1") =>
      new SignJWT(c).setProtectedHeader({ alg: "RS256", kid }).sign(key);
    const pem = await exportSPKI(rsa.publicKey);
    const hsConfusion = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: "k1" }).sign(
      new TextEncoder().encode(pem),
    );
    const algNone = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${
      b64url(JSON.stringify(claims()))
    }.`;

    let posted = 0;
    let accepted = 0;
    async function post(topic: string, headers: Record<string, string>) {
      posted++;
      const res = await fetch(`${gw.url}/v1/topics/${topic}/events`, {
        method: "POST",
        body: JSON.stringify({ n: posted }),
        headers: { "content-type": "application/json", ...headers },
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.json().catch(() => undefined);
      if (res.status === 200) accepted++;
      return { status: res.status, headers: res.headers, body };
    }
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const cases: [string, string, Record<string, string>, number][] = [
      ["no credentials", "logs", {}, 401],
      ["empty x-api-key", "logs", { "x-api-key": "" }, 401],
      ["unknown API key", "logs", { "x-api-key": generateApiKey() }, 401],
      ["revoked (disabled) API key", "logs", { "x-api-key": disabledKey }, 401],
      ["API key with a changed last character", "logs", { "x-api-key": logsKey.slice(0, -1) + "Z" }, 401],
      ["oversized API key", "logs", { "x-api-key": "ke_" + "a".repeat(10_000) }, 401],
      ["empty bearer", "logs", { authorization: "Bearer " }, 401],
      ["garbage bearer", "logs", bearer("not-a-token"), 401],
      ["alg: none token", "logs", bearer(algNone), 401],
      ["HS256 token signed with the RSA public key", "logs", bearer(hsConfusion), 401],
      ["token signed by an unknown key", "logs", bearer(await rs256(claims(), other.privateKey)), 401],
      ["token with an unknown kid", "logs", bearer(await rs256(claims(), rsa.privateKey, "nope")), 401],
      ["expired token", "logs", bearer(await rs256(claims({ exp: now - 3600, iat: now - 7200 }))), 401],
      ["token not valid yet", "logs", bearer(await rs256(claims({ nbf: now + 3600 }))), 401],
      ["token without exp", "logs", bearer(await rs256(claims({ exp: undefined }))), 401],
      ["wrong audience", "logs", bearer(await rs256(claims({ aud: "someone-else" }))), 401],
      ["wrong issuer", "logs", bearer(await rs256(claims({ iss: "https://evil.example/" }))), 401],
      ["tampered payload", "logs", bearer(tamper(await rs256(claims()), claims({ topics: ["*"] }))), 401],
      ["bad credentials for an unknown topic (no topic enumeration)", "nope", { "x-api-key": "x" }, 401],
      ["API key outside its allow-list", "orders", { "x-api-key": logsKey }, 403],
      ["token outside its topics claim", "orders", bearer(await rs256(claims())), 403],
      ["token with no topics claim", "logs", bearer(await rs256(claims({ topics: undefined }))), 403],
      ["valid API key, unconfigured topic", "nope", { "x-api-key": logsKey }, 404],
      ["valid API key", "logs", { "x-api-key": logsKey }, 200],
      ["valid token", "logs", bearer(await rs256(claims())), 200],
    ];
    const outcomes: Record<string, number> = {};
    await t.step("each abuse case gets exactly its status", async () => {
      const wrong: string[] = [];
      for (const [what, topic, headers, want] of cases) {
        const res = await post(topic, headers);
        outcomes[what] = res.status;
        if (res.status !== want) {
          wrong.push(`${what}: want ${want}, got ${res.status} ${JSON.stringify(res.body)}`);
        }
        if (want === 401 && res.status === 401) {
          assert.equal(res.headers.get("www-authenticate"), "Bearer", `${what}: WWW-Authenticate`);
          const text = JSON.stringify(res.body);
          for (const secret of [logsKey, disabledKey]) {
            assert.ok(!text.includes(secret), `${what}: the answer never echoes a credential`);
          }
        }
      }
      assert.deepEqual(wrong, [], "every case answered with its exact status");
    });

    let burst = { ok: 0, limited: 0, other: [] as number[], ms: 0, retryAfterOk: true };
    await t.step(
      "a burst of 100 on a key limited to 5/s, burst 20: 429 + Retry-After, ≤ burst + refill",
      async () => {
        const start = Date.now();
        const answers = await Promise.all(
          Array.from({ length: 100 }, () => post("logs", { "x-api-key": limitedKey })),
        );
        const ms = Date.now() - start;
        burst = {
          ok: answers.filter((a) => a.status === 200).length,
          limited: answers.filter((a) => a.status === 429).length,
          other: answers.filter((a) => a.status !== 200 && a.status !== 429).map((a) => a.status),
          ms,
          retryAfterOk: answers.filter((a) => a.status === 429).every((a) =>
            Number(a.headers.get("retry-after")) >= 1
          ),
        };
        const bound = 20 + Math.ceil((5 * ms) / 1000) + 1;
        assert.deepEqual(burst.other, [], "only 200 or 429");
        assert.ok(burst.limited > 0, "the burst is limited");
        assert.ok(burst.retryAfterOk, "every 429 carries Retry-After ≥ 1");
        assert.ok(burst.ok <= bound, `accepted ${burst.ok} ≤ burst 20 + refill over ${ms} ms (${bound})`);
      },
    );

    await t.step("nothing refused reached Kafka: stored = accepted", async () => {
      const stored = (await readTopic(k.bootstrap, "logs")).length +
        (await readTopic(k.bootstrap, "orders")).length;
      console.log(
        `RESULT gateway_auth_abuse ${
          JSON.stringify({ cases: cases.length, posted, accepted, stored, burst, outcomes })
        }`,
      );
      console.log(`gateway_auth_abuse took ${Math.round((Date.now() - t0) / 1000)} s`);
      assert.equal(stored, accepted);
    });
    await Deno.remove(dir, { recursive: true });
  },
});

/** Replaces a JWS's payload, keeping its header and signature. */
function tamper(token: string, payload: JWTPayload): string {
  const [h, , s] = token.split(".");
  return `${h}.${b64url(JSON.stringify(payload))}.${s}`;
}

/**
 * Keys, tokens and clocks for the auth tests. Real keys are generated per run so the tests exercise
 * the same verification paths as production, never a mock of jose.
 *
 * @module
 */
import { exportJWK, generateKeyPair, type GenerateKeyPairResult, type JWTPayload, SignJWT } from "jose";

// jose's key types come from Node's webcrypto typings, which differ from Deno's global CryptoKey.
type JoseKey = GenerateKeyPairResult["privateKey"];
type SigningSecret = Parameters<SignJWT["sign"]>[0];

export const ISSUER = "https://idp.test/";
export const AUDIENCE = "kafka-edge";
/** A fixed "now" far from the real time, so a test passes only if the injected clock is used. */
export const NOW_MS = Date.UTC(2031, 0, 1, 12, 0, 0);
export const NOW_S = NOW_MS / 1000;

/** A clock stuck at {@link NOW_MS}. */
export const fixedClock = { now: (): number => NOW_MS };

/** A signing key pair and the JWKS publishing its public half. */
export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: JoseKey;
  readonly publicKey: JoseKey;
  readonly jwks: { keys: Record<string, unknown>[] };
}

/** Generates an extractable key pair for `alg`, published under `kid`. */
export async function signingKey(alg: "RS256" | "ES256" | "PS256", kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, kid, privateKey, publicKey, jwks: { keys: [{ ...jwk, kid, alg, use: "sig" }] } };
}

/** Claims of a token the default test configuration accepts. */
export function goodClaims(extra: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "svc-orders",
    iat: NOW_S - 10,
    exp: NOW_S + 300,
    topics: ["orders", "payments"],
    ...extra,
  };
}

/** Signs `claims` as-is (`undefined` members are dropped, so claims can be removed). */
export function sign(
  key: SigningSecret,
  claims: JWTPayload,
  header: { alg: string; kid?: string },
): Promise<string> {
  const defined = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(defined).setProtectedHeader(header).sign(key);
}

/** Signs with `key` as `key.alg`/`key.kid`. */
export function signWith(key: SigningKey, claims: JWTPayload = goodClaims()): Promise<string> {
  return sign(key.privateKey, claims, { alg: key.alg, kid: key.kid });
}

/** Unpadded base64url of a string's UTF-8 bytes. */
export function b64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** `Authorization: Bearer <token>` headers. */
export function bearer(token: string): Headers {
  return new Headers({ authorization: `Bearer ${token}` });
}

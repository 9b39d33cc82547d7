/**
 * JWT bearer-token authentication (RFC 7519 / RFC 8725 best practices) with `jose`.
 *
 * Accepted algorithms are pinned by configuration and never taken from the token, which closes the
 * `alg: none` and HS/RS confusion attacks: an HS* algorithm can only be enabled together with a
 * shared secret, and never next to public keys, so a token "signed" with a public key's bytes as an
 * HMAC secret has nothing to verify against.
 *
 * @module
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import type { NowClock } from "@kafka-edge/lib";
import type { Authenticator, AuthResult, Principal, RateLimit } from "../types.ts";
import { bearerToken, isJwtShaped, unauthorized } from "./credentials.ts";
import { type Problems, problemsError, readTopics } from "./validate.ts";

/** Where verification keys come from. */
export type JwtKeySource =
  /** Parsed content of a local JWKS file (public keys only). */
  | { readonly kind: "jwks"; readonly jwks: unknown }
  | {
    readonly kind: "jwks-url";
    /** `https:` (plain `http:` only for loopback hosts, for local development). */
    readonly url: string;
    /** Abort a JWKS fetch after this long. Default 5000. */
    readonly timeoutMs?: number;
    /** Minimum time between refetches triggered by unknown `kid`s. Default 30000. */
    readonly cooldownMs?: number;
    /** Refetch keys at least this often. Default 600000. */
    readonly cacheMaxAgeMs?: number;
  }
  /** Shared HMAC secret; the only way HS256/384/512 can be enabled. */
  | { readonly kind: "secret"; readonly secret: string | Uint8Array };

/** Subject → topics that subject may ever write to; the key `"*"` applies to unlisted subjects. */
export type TopicMap = ReadonlyMap<string, readonly string[] | "*">;

/** Options for {@link createJwtAuthenticator}. */
export interface JwtOptions {
  readonly keys: JwtKeySource;
  /** Required `aud`; the token must name at least one of these. */
  readonly audience: string | readonly string[];
  /** Required `iss`; the token's must be one of these. */
  readonly issuer: string | readonly string[];
  /** Default {@link DEFAULT_JWT_ALGORITHMS}, or `["HS256"]` with a secret. */
  readonly algorithms?: readonly string[];
  /** Accepted clock skew for `exp`/`nbf`/`iat`. Default 30, at most 300. */
  readonly clockToleranceSeconds?: number;
  /** Claim holding the allowed topics (array of strings or space-separated string). Default `topics`. */
  readonly topicsClaim?: string;
  /** Caps the claim's topics per subject; subjects absent from it (and no `"*"` entry) get none. */
  readonly topicMap?: TopicMap;
  /** Rate for every JWT principal; absent = the gateway default. */
  readonly rate?: RateLimit;
  readonly clock?: NowClock;
  /** Longer tokens are rejected unparsed. Default 8192. */
  readonly maxTokenLength?: number;
}

/** Algorithms accepted when none are configured. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ["RS256", "ES256"];

const ASYMMETRIC_KTY: Readonly<Record<string, string>> = {
  RS256: "RSA",
  RS384: "RSA",
  RS512: "RSA",
  PS256: "RSA",
  PS384: "RSA",
  PS512: "RSA",
  ES256: "EC",
  ES384: "EC",
  ES512: "EC",
  EdDSA: "OKP",
  Ed25519: "OKP",
};
// RFC 7518 §3.2: an HMAC key must be at least as long as the hash output.
const HMAC_MIN_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };
// Members of a JWK that only private or symmetric keys have.
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];
const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/** Thrown by {@link createJwtAuthenticator} and {@link parseTopicMap} for unusable configuration. */
export class JwtConfigError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(problemsError(source, problems));
    this.name = "JwtConfigError";
    this.problems = problems;
  }
}

/**
 * Thrown by `authenticate` when the JWKS endpoint cannot be reached or returns garbage: the
 * client's token may be fine, so this must become a 503 with Retry-After, not a 401 that sends
 * clients into token-refresh loops.
 */
export class AuthUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthUnavailableError";
  }
}

/** Validates a parsed topic-map file: a mapping of subject → `"*"` or list of topics. */
export function parseTopicMap(content: unknown, source = "JWT topic map"): TopicMap {
  if (typeof content !== "object" || content === null || Array.isArray(content)) {
    throw new JwtConfigError(source, [`must be a mapping of subject to topics (svc-orders: ["orders"])`]);
  }
  const problems: Problems = [];
  const map = new Map<string, readonly string[] | "*">();
  for (const [subject, value] of Object.entries(content)) {
    const topics = readTopics(value, JSON.stringify(subject), problems);
    if (topics !== undefined) map.set(subject, topics);
  }
  if (problems.length > 0) throw new JwtConfigError(source, problems);
  return map;
}

/** Builds the JWT authenticator; throws {@link JwtConfigError} listing every configuration problem. */
export function createJwtAuthenticator(options: JwtOptions): Authenticator {
  const problems: Problems = [];
  const algorithms = checkAlgorithms(options, problems);
  const audience = checkNames(options.audience, "audience", "JWT_AUDIENCE=kafka-edge", problems);
  const issuer = checkNames(options.issuer, "issuer", "JWT_ISSUER=https://idp.example.com/", problems);
  const tolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > MAX_CLOCK_TOLERANCE_SECONDS) {
    problems.push(`clock tolerance: must be 0-${MAX_CLOCK_TOLERANCE_SECONDS} seconds, got ${tolerance}`);
  }
  const topicsClaim = options.topicsClaim ?? "topics";
  if (topicsClaim.trim() === "") problems.push("topics claim: must be a claim name (topics)");
  const key = algorithms === undefined ? undefined : checkKeys(options.keys, algorithms, problems);
  if (problems.length > 0) throw new JwtConfigError("JWT configuration", problems);

  const clock = options.clock ?? Date;
  const maxTokenLength = options.maxTokenLength ?? 8192;
  const verifyOptions = {
    algorithms: [...algorithms!],
    audience: [...audience],
    issuer: [...issuer],
    clockTolerance: tolerance,
    // aud and iss are required by passing them; exp bounds a stolen token's life, sub names the principal.
    requiredClaims: ["exp", "sub"],
  };
  return {
    method: "jwt",
    async authenticate(headers: Headers): Promise<AuthResult | null> {
      const token = bearerToken(headers);
      if (token === undefined || !isJwtShaped(token)) return null;
      if (token.length > maxTokenLength) {
        return invalidToken(`token is longer than ${maxTokenLength} characters`);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key!, {
          ...verifyOptions,
          currentDate: new Date(clock.now()),
        }));
      } catch (err) {
        if (err instanceof AuthUnavailableError) throw err;
        return rejection(err);
      }
      return principalOf(payload, topicsClaim, options.topicMap, options.rate);
    },
  };
}

function invalidToken(message: string): AuthResult {
  return unauthorized("invalid_credentials", message);
}

// Fixed messages, never jose's: those can quote token content, and clients get a stable text.
const CLAIM_MESSAGES: Readonly<Record<string, string>> = {
  nbf: "token is not valid yet",
  iat: "token is issued in the future",
  aud: "token audience is not accepted",
  iss: "token issuer is not accepted",
};

function rejection(err: unknown): AuthResult {
  const { code, claim, reason } = (err ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return unauthorized("token_expired", "token has expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (reason === "missing" && typeof claim === "string" && /^(exp|sub|aud|iss)$/.test(claim)) {
        return invalidToken(`token lacks the required "${claim}" claim`);
      }
      return invalidToken(CLAIM_MESSAGES[String(claim)] ?? "token claims are not valid");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return invalidToken("token algorithm is not accepted");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return invalidToken("token signature is not valid");
    case "ERR_JWKS_NO_MATCHING_KEY":
      return invalidToken("token is not signed by a known key");
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return invalidToken("token matches several keys; its header must name one with kid");
    default:
      return invalidToken("token is malformed");
  }
}

function principalOf(
  payload: JWTPayload,
  topicsClaim: string,
  topicMap: TopicMap | undefined,
  rate: RateLimit | undefined,
): AuthResult {
  const sub = payload.sub;
  if (typeof sub !== "string" || sub === "" || sub.length > 256) {
    return invalidToken(`token "sub" claim must be a string of 1-256 characters`);
  }
  const claimed = claimTopics(payload[topicsClaim]);
  if (claimed === undefined) {
    return invalidToken(
      `token "${topicsClaim}" claim must be an array of strings or a space-separated string`,
    );
  }
  const capped = topicMap === undefined
    ? claimed
    : intersect(claimed, topicMap.get(sub) ?? topicMap.get("*") ?? []);
  const principal: Principal = {
    id: sub,
    method: "jwt",
    topics: capped,
    ...(rate === undefined ? {} : { rate }),
  };
  return { ok: true, principal };
}

/** `undefined` when malformed; a missing claim grants nothing (authorisation then says 403). */
function claimTopics(value: unknown): readonly string[] | "*" | undefined {
  let topics: string[];
  if (value === undefined) topics = [];
  else if (typeof value === "string") topics = value.split(/\s+/).filter((t) => t !== "");
  else if (Array.isArray(value) && value.every((t) => typeof t === "string")) {
    topics = value.filter((t) => t !== "");
  } else return undefined;
  return topics.includes("*") ? "*" : [...new Set(topics)];
}

function intersect(a: readonly string[] | "*", b: readonly string[] | "*"): readonly string[] | "*" {
  if (a === "*") return b;
  if (b === "*") return a;
  return a.filter((topic) => b.includes(topic));
}

function checkNames(value: string | readonly string[], what: string, example: string, problems: Problems) {
  const names = (typeof value === "string" ? [value] : [...value]).filter((v) => v.trim() !== "");
  if (names.length === 0) problems.push(`${what}: required; tokens must name it (${example})`);
  return names;
}

function checkAlgorithms(options: JwtOptions, problems: Problems): readonly string[] | undefined {
  const withSecret = options.keys.kind === "secret";
  const algorithms = options.algorithms ?? (withSecret ? ["HS256"] : DEFAULT_JWT_ALGORITHMS);
  const before = problems.length;
  if (algorithms.length === 0) problems.push("algorithms: must name at least one (RS256,ES256)");
  for (const alg of algorithms) {
    if (alg in HMAC_MIN_BYTES) {
      if (!withSecret) {
        problems.push(
          `algorithms: ${alg} needs a shared secret and cannot be used with public keys (JWKS); ` +
            `remove it, or configure a secret instead of a JWKS`,
        );
      }
    } else if (alg in ASYMMETRIC_KTY) {
      if (withSecret) problems.push(`algorithms: ${alg} needs public keys (a JWKS), not a shared secret`);
    } else {
      const known = [...Object.keys(ASYMMETRIC_KTY), ...Object.keys(HMAC_MIN_BYTES)].join(", ");
      problems.push(`algorithms: ${JSON.stringify(alg)} is not accepted; use some of ${known}`);
    }
  }
  return problems.length > before ? undefined : algorithms;
}

function checkKeys(
  source: JwtKeySource,
  algorithms: readonly string[],
  problems: Problems,
): Uint8Array | JWTVerifyGetKey | undefined {
  switch (source.kind) {
    case "secret": {
      const secret = typeof source.secret === "string"
        ? new TextEncoder().encode(source.secret)
        : source.secret;
      const need = Math.max(...algorithms.map((alg) => HMAC_MIN_BYTES[alg]));
      if (secret.byteLength < need) {
        problems.push(
          `secret: must be at least ${need} bytes for ${algorithms.join(", ")}; use a random secret`,
        );
      }
      return secret;
    }
    case "jwks":
      return checkLocalJwks(source.jwks, algorithms, problems);
    case "jwks-url":
      return checkRemoteJwks(source, problems);
  }
}

function checkLocalJwks(jwks: unknown, algorithms: readonly string[], problems: Problems) {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    problems.push(`JWKS: must be {"keys": [...]} with at least one public key`);
    return undefined;
  }
  const before = problems.length;
  keys.forEach((jwk, i) => {
    const where = `JWKS keys[${i}]${typeof jwk?.kid === "string" ? ` (kid ${JSON.stringify(jwk.kid)})` : ""}`;
    if (typeof jwk !== "object" || jwk === null || typeof jwk.kty !== "string") {
      problems.push(`${where}: must be a JWK object with "kty"`);
    } else if (jwk.kty === "oct") {
      problems.push(`${where}: is a symmetric key; a JWKS must hold public keys only`);
    } else if (PRIVATE_JWK_MEMBERS.some((member) => member in jwk)) {
      problems.push(`${where}: contains private key material; publish only the public key`);
    }
  });
  const kinds = new Set(algorithms.map((alg) => ASYMMETRIC_KTY[alg]));
  if (problems.length === before && !keys.some((jwk) => kinds.has(jwk.kty))) {
    problems.push(`JWKS: no key can verify ${algorithms.join(", ")}; check the algorithms or the key file`);
  }
  if (problems.length > before) return undefined;
  try {
    return createLocalJWKSet(jwks as JSONWebKeySet);
  } catch {
    problems.push(`JWKS: is not a valid JSON Web Key Set`);
    return undefined;
  }
}

function checkRemoteJwks(
  source: Extract<JwtKeySource, { kind: "jwks-url" }>,
  problems: Problems,
): JWTVerifyGetKey | undefined {
  let url: URL;
  try {
    url = new URL(source.url);
  } catch {
    problems.push(`JWKS URL: must be an absolute URL (https://idp.example.com/.well-known/jwks.json)`);
    return undefined;
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    // Keys fetched over plain HTTP could be swapped by anyone on the path, who could then mint tokens.
    problems.push(`JWKS URL: must use https (http is allowed only for localhost)`);
    return undefined;
  }
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: source.timeoutMs ?? 5000,
    cooldownDuration: source.cooldownMs ?? 30_000,
    cacheMaxAge: source.cacheMaxAgeMs ?? 600_000,
  });
  return async (header: JWSHeaderParameters, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS") throw err;
      throw new AuthUnavailableError("JWKS endpoint did not provide keys", { cause: err });
    }
  };
}

/**
 * API-key authentication against a file of hashed keys.
 *
 * Keys are stored as their SHA-256 only, so a leaked key file (backups, config repos, a
 * ConfigMap dump) grants nothing. A fast unsalted hash is right here, unlike for passwords: keys
 * are 256-bit random values, so there is nothing to brute-force or look up in a rainbow table, and
 * a slow KDF would only add per-request CPU cost an attacker could exploit.
 *
 * @module
 */
import type { Authenticator, AuthResult, RateLimit } from "../types.ts";
import { API_KEY_HEADER, bearerToken, INVALID_CREDENTIALS, isJwtShaped } from "./credentials.ts";
import { type Problems, problemsError, readRate, readTopics, rejectUnknownFields } from "./validate.ts";

/** One entry of the API keys file, validated and normalised. */
export interface ApiKeyEntry {
  readonly id: string;
  /** Lower-case hex SHA-256 of the key's UTF-8 bytes. */
  readonly sha256: string;
  readonly topics: readonly string[] | "*";
  readonly rate?: RateLimit;
  readonly disabled: boolean;
}

/** Prefix of generated keys; lets secret scanners and humans recognise a leaked key. */
export const API_KEY_PREFIX = "ke_";

/** Longer header values are rejected before hashing; generated keys are 46 characters. */
export const MAX_API_KEY_LENGTH = 256;

const ID_PATTERN = /^[A-Za-z0-9._:@/-]{1,128}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const ENTRY_FIELDS = ["id", "sha256", "topics", "rate", "disabled"];
const GENERATE_HINT = "generate keys with `deno run tools/apikey.ts new <id>`";

/** Thrown by {@link parseApiKeyFile}; `problems` lists every mistake, one line each. */
export class ApiKeyFileError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(problemsError(source, problems));
    this.name = "ApiKeyFileError";
    this.problems = problems;
  }
}

/**
 * Validates the parsed content of an API keys file (YAML or JSON):
 * `keys: [{ id, sha256, topics: [..] | "*", rate?: { perSecond, burst }, disabled? }]`.
 * Every problem is collected so an operator fixes the file in one pass.
 */
export function parseApiKeyFile(content: unknown, source = "API keys file"): readonly ApiKeyEntry[] {
  const problems: string[] = [];
  if (typeof content !== "object" || content === null || Array.isArray(content)) {
    throw new ApiKeyFileError(source, [
      "must be a mapping with a `keys:` list (keys: [{ id, sha256, topics }])",
    ]);
  }
  rejectUnknownFields(content as Record<string, unknown>, ["keys"], "top level", problems);
  const list = (content as Record<string, unknown>).keys;
  if (!Array.isArray(list)) {
    problems.push("keys: must be a list of key entries (keys: [{ id, sha256, topics }])");
    throw new ApiKeyFileError(source, problems);
  }
  const entries: ApiKeyEntry[] = [];
  const ids = new Map<string, number>();
  const hashes = new Map<string, number>();
  list.forEach((raw, index) => {
    const entry = readEntry(raw, index, problems);
    if (entry === undefined) return;
    const where = entryLabel(index, entry.id);
    const sameId = ids.get(entry.id);
    if (sameId !== undefined) problems.push(`${where}.id: duplicates keys[${sameId}]; ids must be unique`);
    else ids.set(entry.id, index);
    const sameHash = hashes.get(entry.sha256);
    if (sameHash !== undefined) {
      problems.push(`${where}.sha256: same key as keys[${sameHash}]; give each client its own key`);
    } else hashes.set(entry.sha256, index);
    entries.push(entry);
  });
  if (problems.length > 0) throw new ApiKeyFileError(source, problems);
  return entries;
}

function entryLabel(index: number, id: unknown): string {
  return typeof id === "string" && id !== "" ? `keys[${index}] (id ${JSON.stringify(id)})` : `keys[${index}]`;
}

function readEntry(raw: unknown, index: number, problems: Problems): ApiKeyEntry | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push(`keys[${index}]: must be a mapping { id, sha256, topics }`);
    return undefined;
  }
  const fields = raw as Record<string, unknown>;
  const where = entryLabel(index, fields.id);
  const before = problems.length;
  // A typo such as `disable: true` must not silently leave a revoked key working.
  rejectUnknownFields(fields, ENTRY_FIELDS, where, problems);
  const id = fields.id;
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    problems.push(`${where}.id: must be 1-128 characters of letters, digits and . _ : @ / - (id: ci-orders)`);
  }
  const sha256 = readSha256(fields.sha256, where, problems);
  const topics = readTopics(fields.topics, `${where}.topics`, problems);
  const rate = fields.rate === undefined ? undefined : readRate(fields.rate, `${where}.rate`, problems);
  if (fields.disabled !== undefined && typeof fields.disabled !== "boolean") {
    problems.push(`${where}.disabled: must be true or false (disabled: true)`);
  }
  if (problems.length > before) return undefined;
  return {
    id: id as string,
    sha256: sha256 as string,
    topics: topics!,
    ...(rate === undefined ? {} : { rate }),
    disabled: fields.disabled === true,
  };
}

function readSha256(value: unknown, where: string, problems: Problems): string | undefined {
  if (typeof value !== "string") {
    problems.push(`${where}.sha256: must be the key's SHA-256 as 64 hex characters; ${GENERATE_HINT}`);
    return undefined;
  }
  if (value.startsWith(API_KEY_PREFIX)) {
    // Never echo it: this is very likely a live secret pasted into the file.
    problems.push(
      `${where}.sha256: looks like a raw API key, not its hash; rotate that key and store only its SHA-256 ` +
        `(\`deno run tools/apikey.ts hash\` reads a key on stdin)`,
    );
    return undefined;
  }
  const normalised = value.trim().toLowerCase();
  if (!SHA256_PATTERN.test(normalised)) {
    problems.push(
      `${where}.sha256: must be 64 hex characters (SHA-256 of the key), got ${value.length} characters; ` +
        GENERATE_HINT,
    );
    return undefined;
  }
  return normalised;
}

/** Lower-case hex SHA-256 of `text`'s UTF-8 bytes. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new random key: `ke_` + 32 random bytes as unpadded base64url (43 characters). */
export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return API_KEY_PREFIX + base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * The presented API key: `X-API-Key` wins; otherwise a Bearer token that is not JWT-shaped, so API
 * keys and JWTs can share `Authorization: Bearer` when both methods are enabled.
 */
function presentedKey(headers: Headers): string | undefined {
  const header = headers.get(API_KEY_HEADER);
  if (header !== null) return header.trim();
  const token = bearerToken(headers);
  return token === undefined || isJwtShaped(token) ? undefined : token;
}

/** Authenticates `X-API-Key: <key>` or `Authorization: Bearer <key>` against hashed entries. */
export function createApiKeyAuthenticator(entries: readonly ApiKeyEntry[]): Authenticator {
  // Looking up by hash also removes the timing side channel of comparing secrets: an attacker
  // cannot steer the hash of their guess towards a stored one byte by byte.
  const byHash = new Map(entries.map((entry) => [entry.sha256, entry]));
  return {
    method: "api-key",
    async authenticate(headers: Headers): Promise<AuthResult | null> {
      const key = presentedKey(headers);
      if (key === undefined) return null;
      if (key === "" || key.length > MAX_API_KEY_LENGTH) return INVALID_CREDENTIALS;
      const entry = byHash.get(await sha256Hex(key));
      if (entry === undefined || entry.disabled) return INVALID_CREDENTIALS;
      const { id, topics, rate } = entry;
      return {
        ok: true,
        principal: { id, method: "api-key", topics, ...(rate === undefined ? {} : { rate }) },
      };
    },
  };
}

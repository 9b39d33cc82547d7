/**
 * Reading credentials out of request headers, shared by every authenticator so they agree on what
 * "this request carries my kind of credential" means.
 *
 * @module
 */
import type { AuthResult } from "../types.ts";

/** Header carrying an API key when a client cannot set `Authorization`. */
export const API_KEY_HEADER = "x-api-key";

// RFC 6750 b64token-ish segments. The third segment may be empty so `alg: none` tokens are still
// recognised as JWTs and rejected by the JWT authenticator instead of being treated as API keys.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The token of `Authorization: Bearer <token>` (scheme case-insensitive, per RFC 7235), `""` for a
 * bare `Bearer`, or `undefined` when there is no Authorization header or it uses another scheme.
 */
export function bearerToken(headers: Headers): string | undefined {
  const value = headers.get("authorization");
  if (value === null) return undefined;
  const match = /^bearer(?:[ \t]+(.*))?$/is.exec(value.trim());
  if (match === null) return undefined;
  return (match[1] ?? "").trim();
}

/** True when `token` has the three base64url segments of a JWS compact serialization. */
export function isJwtShaped(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/** True when the request carries anything that looks like an attempt to authenticate. */
export function hasCredentialHeaders(headers: Headers): boolean {
  return headers.has("authorization") || headers.has(API_KEY_HEADER);
}

/** A 401 result. `message` must never include the presented credential. */
export function unauthorized(code: string, message: string): AuthResult {
  return { ok: false, status: 401, code, message };
}

/**
 * The one answer for unknown, disabled and malformed API keys alike, so a caller cannot probe
 * which keys exist or were revoked.
 */
export const INVALID_CREDENTIALS: AuthResult = unauthorized(
  "invalid_credentials",
  "credentials are not valid",
);

/**
 * Combines the enabled authenticators and decides topic access.
 *
 * @module
 */
import type { Authenticator, AuthResult, Principal } from "../types.ts";
import { hasCredentialHeaders, unauthorized } from "./credentials.ts";

/** Authenticates one request from its headers. */
export type AuthCheck = (headers: Headers) => Promise<AuthResult>;

/** Outcome of {@link authorizeTopic}. */
export type TopicDecision =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 403; readonly code: "forbidden"; readonly message: string };

const HOW_TO_SEND: Readonly<Record<Principal["method"], string>> = {
  "api-key": "an API key in X-API-Key or Authorization: Bearer",
  jwt: "a JWT in Authorization: Bearer",
  none: "nothing",
};

/**
 * The first authenticator that recognises the request's credentials decides; the others are not
 * asked, so a rejected API key never falls through to a more lenient method. Errors an
 * authenticator throws (e.g. `AuthUnavailableError`) propagate.
 */
export function createAuthChain(authenticators: readonly Authenticator[]): AuthCheck {
  if (authenticators.length === 0) throw new Error("auth chain needs at least one authenticator");
  const accepted = authenticators.map((a) => HOW_TO_SEND[a.method]).join(", or ");
  const missing = unauthorized("missing_credentials", `credentials are required; send ${accepted}`);
  const unrecognised = unauthorized("invalid_credentials", `credentials are not accepted; send ${accepted}`);
  return async (headers) => {
    for (const authenticator of authenticators) {
      const result = await authenticator.authenticate(headers);
      if (result !== null) return result;
    }
    // Credentials nobody claimed, e.g. `Authorization: Basic …` or a JWT when only API keys are on.
    return hasCredentialHeaders(headers) ? unrecognised : missing;
  };
}

/** Whether `principal` may write to `topic`; the caller has already checked the topic exists. */
export function authorizeTopic(principal: Principal, topic: string): TopicDecision {
  if (principal.topics === "*" || principal.topics.includes(topic)) return { ok: true };
  return {
    ok: false,
    status: 403,
    code: "forbidden",
    message: `${principal.method} principal ${JSON.stringify(principal.id)} may not write to topic ${
      JSON.stringify(topic)
    }`,
  };
}

/**
 * Authentication switched off: every request is the `anonymous` principal with every topic.
 * For local development only; whoever wires this in must log a loud warning at start-up.
 *
 * @module
 */
import type { Authenticator, AuthResult, RateLimit } from "../types.ts";

/** Options for {@link createNoAuthenticator}. */
export interface NoAuthOptions {
  /** Rate for the single shared `anonymous` principal; absent = the gateway default. */
  readonly rate?: RateLimit;
}

/** Accepts every request, with or without credentials (presented ones are ignored, not checked). */
export function createNoAuthenticator(options: NoAuthOptions = {}): Authenticator {
  const result: AuthResult = {
    ok: true,
    principal: {
      id: "anonymous",
      method: "none",
      topics: "*",
      ...(options.rate === undefined ? {} : { rate: options.rate }),
    },
  };
  return {
    method: "none",
    authenticate(_headers: Headers): Promise<AuthResult | null> {
      return Promise.resolve(result);
    },
  };
}

/**
 * Request authentication (API keys, JWTs, or none for local development) and topic authorisation.
 *
 * @module
 */
export * from "./api_key.ts";
export * from "./chain.ts";
export * from "./credentials.ts";
export * from "./jwt.ts";
export * from "./none.ts";

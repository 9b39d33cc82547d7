/** The sinks and their registry. */
export * from "./registry.ts";

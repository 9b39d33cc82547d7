/** The consumer package. */
export * from "./core/sink.ts";

/**
 * Shared runtime for the kafka-edge producer, consumer and operator.
 *
 * @module
 */
export * from "./config.ts";
export * from "./envelope.ts";
export * from "./http_error.ts";
export * from "./json_pointer.ts";
export * from "./kafka.ts";
export * from "./log.ts";
export * from "./metrics.ts";
export * from "./platformatic_kafka.ts";
export * from "./shutdown.ts";

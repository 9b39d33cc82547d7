/**
 * Request-body decoders, one per media type family, and the selection among them.
 *
 * @module
 */
export * from "./select.ts";
export { jsonDecoder } from "./json.ts";
export { ndjsonDecoder } from "./ndjson.ts";
export { cloudEventsStructuredDecoder } from "./cloudevents_structured.ts";
export { cloudEventsBatchDecoder } from "./cloudevents_batch.ts";
export { cloudEventsBinaryDecoder } from "./cloudevents_binary.ts";
export { kafkaBinaryV2Decoder, kafkaJsonV2Decoder, kafkaTextV2Decoder } from "./kafka_v2.ts";
export { DEFAULT_EVENT_TYPE, defaultEventSource } from "./plain.ts";
export { MAX_DETAILS } from "./problem.ts";
export type { EventDetail } from "./problem.ts";

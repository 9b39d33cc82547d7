/**
 * Picks the decoder for a request. Structured CloudEvents media types win over `ce-*` headers; a
 * request with a `ce-specversion` header and any other (or no) Content-Type is binary mode; otherwise
 * the media type decides. JSON is always UTF-8, so only a UTF-8 (or absent) charset is accepted.
 *
 * @module
 */
import { isJsonContentType } from "../../../lib/envelope.ts";
import type { Decoder, RequestProblem } from "../types.ts";
import { cloudEventsBatchDecoder } from "./cloudevents_batch.ts";
import { cloudEventsBinaryDecoder } from "./cloudevents_binary.ts";
import { cloudEventsStructuredDecoder } from "./cloudevents_structured.ts";
import { jsonDecoder } from "./json.ts";
import { kafkaBinaryV2Decoder, kafkaJsonV2Decoder, kafkaTextV2Decoder } from "./kafka_v2.ts";
import { hasUtf8Charset, parseMediaType } from "./media_type.ts";
import { ndjsonDecoder } from "./ndjson.ts";
import { unsupportedMediaType } from "./problem.ts";

/** Every decoder, binary-mode CloudEvents included. */
export const decoders: readonly Decoder[] = [
  jsonDecoder,
  ndjsonDecoder,
  cloudEventsStructuredDecoder,
  cloudEventsBatchDecoder,
  cloudEventsBinaryDecoder,
  kafkaJsonV2Decoder,
  kafkaBinaryV2Decoder,
  kafkaTextV2Decoder,
];

/** Media types accepted as Content-Type, besides CloudEvents binary mode. */
export const SUPPORTED_MEDIA_TYPES: readonly string[] = decoders.flatMap((d) => d.mediaTypes);

const byMediaType = new Map(decoders.flatMap((d) => d.mediaTypes.map((t) => [t, d] as const)));

/** The decoder for a request, or a 415 listing what is supported. */
export type DecoderSelection =
  | { readonly ok: true; readonly decoder: Decoder }
  | { readonly ok: false; readonly problem: RequestProblem };

function unsupported(message: string): DecoderSelection {
  return {
    ok: false,
    problem: unsupportedMediaType(
      `${message}; send one of ${SUPPORTED_MEDIA_TYPES.join(", ")}, or a ce-specversion header`,
      {
        supported: SUPPORTED_MEDIA_TYPES,
      },
    ),
  };
}

/** Selects by the request headers, or by a bare Content-Type value (which cannot mean binary mode). */
export function selectDecoder(request: Headers | string | null): DecoderSelection {
  const headers = request instanceof Headers ? request : undefined;
  const contentType = headers ? headers.get("content-type") : request as string | null;
  const binaryMode = headers?.has("ce-specversion") ?? false;
  const mediaType = contentType === null ? undefined : parseMediaType(contentType);
  if (contentType !== null && mediaType === undefined && !binaryMode) {
    return unsupported(`Content-Type ${JSON.stringify(contentType)} is not a media type`);
  }
  const structured = mediaType?.essence.startsWith("application/cloudevents") ?? false;
  if (binaryMode && !structured) {
    if (mediaType && isJsonContentType(mediaType.essence) && !hasUtf8Charset(mediaType)) {
      return unsupported(`charset ${mediaType.params.get("charset")} is not supported for JSON; use UTF-8`);
    }
    return { ok: true, decoder: cloudEventsBinaryDecoder };
  }
  if (mediaType === undefined) return unsupported("Content-Type is required");
  const decoder = byMediaType.get(mediaType.essence);
  if (!decoder) return unsupported(`Content-Type ${mediaType.essence} is not supported`);
  if (!hasUtf8Charset(mediaType)) {
    return unsupported(`charset ${mediaType.params.get("charset")} is not supported; use UTF-8`);
  }
  return { ok: true, decoder };
}

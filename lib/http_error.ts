/**
 * The one HTTP error shape every kafka-edge service returns:
 *
 *     {"error": {"code": "payload_too_large", "message": "request body exceeds 1048576 bytes", "details": …}}
 *
 * `code` is a stable snake_case identifier clients may branch on; `message` is for humans and may
 * change. Message style, everywhere: a lowercase sentence fragment without a trailing period,
 * saying what is wrong (and, if useful, what to do), e.g. "missing ce-type header". Names and
 * acronyms keep their case ("JSON body must be an object").
 *
 * @module
 */

/** Catalogue of codes and the status each one uses. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable_entity: 422,
  too_many_requests: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

/** A catalogued error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Default human message per code, in the house style. */
export const DEFAULT_MESSAGES: Readonly<Record<ErrorCode, string>> = {
  bad_request: "request is malformed",
  unauthorized: "authentication is required",
  forbidden: "not allowed to perform this request",
  not_found: "no such resource",
  payload_too_large: "request body is too large",
  unsupported_media_type: "content type is not supported",
  unprocessable_entity: "request is well-formed but invalid",
  too_many_requests: "too many requests; retry later",
  internal: "internal error",
  service_unavailable: "service is temporarily unavailable; retry later",
};

/** The JSON body of every error response. */
export interface HttpErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: unknown;
  };
}

/** Extra response options. */
export interface HttpErrorInit {
  /** e.g. `{ "retry-after": "5" }` or `{ "www-authenticate": "Bearer" }`. */
  readonly headers?: HeadersInit;
}

/** Builds an error Response with the shared JSON shape. */
export function httpError(
  status: number,
  code: string,
  message: string,
  details?: unknown,
  init: HttpErrorInit = {},
): Response {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new RangeError(`error status must be 400-599, got ${status}`);
  }
  const body: HttpErrorBody = {
    error: details === undefined ? { code, message } : { code, message, details },
  };
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body), { status, headers });
}

/** Options for {@link errorResponse}. */
export interface ErrorResponseOptions extends HttpErrorInit {
  readonly message?: string;
  readonly details?: unknown;
  /** Seconds; sets Retry-After (meaningful for 429 and 503). */
  readonly retryAfter?: number;
}

/** A catalogued error with its status and, unless overridden, its default message. */
export function errorResponse(code: ErrorCode, options: ErrorResponseOptions = {}): Response {
  const headers = new Headers(options.headers);
  if (options.retryAfter !== undefined) {
    headers.set("retry-after", String(Math.max(0, Math.ceil(options.retryAfter))));
  }
  return httpError(ERROR_STATUS[code], code, options.message ?? DEFAULT_MESSAGES[code], options.details, {
    headers,
  });
}

/** Throw from a handler; the service's error hook turns it into a Response via {@link toErrorResponse}. */
export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: unknown;
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string = DEFAULT_MESSAGES[code], options: ErrorResponseOptions = {}) {
    super(message);
    this.name = "HttpError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }

  toResponse(): Response {
    return errorResponse(this.code, {
      message: this.message,
      details: this.details,
      retryAfter: this.retryAfter,
    });
  }
}

/**
 * Response for anything a handler threw. Only {@link HttpError}s reveal their message; anything
 * else becomes a generic 500 because exception text can contain internals or secrets — log it instead.
 */
export function toErrorResponse(err: unknown): Response {
  return err instanceof HttpError ? err.toResponse() : errorResponse("internal");
}

/** True when `value` has the shared error shape; for clients and tests. */
export function isHttpErrorBody(value: unknown): value is HttpErrorBody {
  if (typeof value !== "object" || value === null) return false;
  const error = (value as { error?: unknown }).error;
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "string" && typeof message === "string";
}

import assert from "node:assert/strict";
import {
  DEFAULT_MESSAGES,
  ERROR_STATUS,
  type ErrorCode,
  errorResponse,
  HttpError,
  httpError,
  isHttpErrorBody,
  toErrorResponse,
} from "./http_error.ts";

Deno.test("httpError returns the shared JSON shape with status and content type", async () => {
  const res = httpError(422, "unprocessable_entity", "missing ce-type header", { field: "type" });
  assert.equal(res.status, 422);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), {
    error: { code: "unprocessable_entity", message: "missing ce-type header", details: { field: "type" } },
  });
});

Deno.test("httpError leaves out details when there are none", async () => {
  const body = await httpError(404, "not_found", "no such topic").json();
  assert.deepEqual(body, { error: { code: "not_found", message: "no such topic" } });
  assert.equal("details" in body.error, false);
});

Deno.test("httpError passes extra headers but always sets the JSON content type", () => {
  const res = httpError(401, "unauthorized", "token expired", undefined, {
    headers: { "www-authenticate": "Bearer", "content-type": "text/html" },
  });
  assert.equal(res.headers.get("www-authenticate"), "Bearer");
  assert.equal(res.headers.get("content-type"), "application/json");
});

Deno.test("httpError rejects non-error statuses", () => {
  assert.throws(() => httpError(200, "ok", "fine"), RangeError);
  assert.throws(() => httpError(600, "x", "y"), RangeError);
});

Deno.test("errorResponse uses the catalogue status and sets Retry-After in whole seconds", async () => {
  const res = errorResponse("too_many_requests", { retryAfter: 1.2 });
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "2");
  assert.deepEqual(await res.json(), {
    error: { code: "too_many_requests", message: "too many requests; retry later" },
  });
});

Deno.test("the catalogue covers the agreed codes with distinct error statuses", () => {
  assert.deepEqual(Object.keys(ERROR_STATUS).sort(), [
    "bad_request",
    "forbidden",
    "internal",
    "not_found",
    "payload_too_large",
    "service_unavailable",
    "too_many_requests",
    "unauthorized",
    "unprocessable_entity",
    "unsupported_media_type",
  ]);
  const statuses = Object.values(ERROR_STATUS);
  assert.equal(new Set(statuses).size, statuses.length);
});

Deno.test("default messages follow the house style: lowercase start, no trailing period", () => {
  for (const [code, message] of Object.entries(DEFAULT_MESSAGES)) {
    assert.match(message, /^[a-z]/, code);
    assert.doesNotMatch(message, /\.$/, code);
  }
});

Deno.test("toErrorResponse exposes HttpError messages but hides other exceptions", async () => {
  const known = toErrorResponse(
    new HttpError("payload_too_large", "request body exceeds 1024 bytes", { details: { limit: 1024 } }),
  );
  assert.equal(known.status, 413);
  assert.deepEqual(await known.json(), {
    error: {
      code: "payload_too_large",
      message: "request body exceeds 1024 bytes",
      details: { limit: 1024 },
    },
  });
  const unknown = toErrorResponse(new Error("db password is hunter2"));
  assert.equal(unknown.status, 500);
  const text = await unknown.text();
  assert.doesNotMatch(text, /hunter2/);
  assert.deepEqual(JSON.parse(text), { error: { code: "internal", message: "internal error" } });
});

Deno.test("HttpError carries its status and retry hint into the response", () => {
  const err = new HttpError("service_unavailable", undefined, { retryAfter: 5 });
  assert.equal(err.status, 503);
  assert.equal(err.message, DEFAULT_MESSAGES.service_unavailable);
  assert.equal(err.toResponse().headers.get("retry-after"), "5");
});

Deno.test("isHttpErrorBody recognises only the shared shape", async () => {
  for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
    assert.equal(isHttpErrorBody(await errorResponse(code).json()), true, code);
  }
  for (const other of [null, {}, { error: "x" }, { error: { code: 1, message: "m" } }, { message: "m" }]) {
    assert.equal(isHttpErrorBody(other), false, JSON.stringify(other));
  }
});

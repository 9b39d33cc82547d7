import assert from "node:assert/strict";
import type { DecodedEvent, TopicConfig } from "./types.ts";
import { compileTopics, MAX_REPORTED_ERRORS, type PayloadValidator, validateEvents } from "./validate.ts";

const schema = {
  type: "object",
  properties: {
    user: { type: "string" },
    at: { type: "string", format: "date-time" },
    tags: { type: "array", items: { type: "string" } },
  },
  required: ["user"],
  additionalProperties: false,
};

function validator(topic: TopicConfig): PayloadValidator {
  const compiled = compileTopics([topic]);
  if (!compiled.ok) throw new Error(compiled.errors.join("\n"));
  return compiled.validators.get(topic.name)!;
}

function event(payload: unknown, validate = true): DecodedEvent {
  return { id: "1", payload, validate, record: { key: null, value: null, headers: [] } };
}

Deno.test("schema validation reports each violation with the event index and a pointer to the property", () => {
  const check = validator({ name: "orders", schema });
  const problem = validateEvents(check, [
    event({ user: "a" }),
    event({ at: "yesterday", tags: ["x", 2], extra: 1 }),
  ]);
  assert.equal(problem?.status, 422);
  assert.equal(problem?.code, "unprocessable_entity");
  assert.equal(problem?.message, "1 of 2 events do not match the topic's schema");
  assert.deepEqual(problem?.details, [
    { event: 1, pointer: "/user", message: "is required" },
    { event: 1, pointer: "/extra", message: "is not allowed" },
    { event: 1, pointer: "/at", message: 'must match format "date-time"' },
    { event: 1, pointer: "/tags/1", message: "must be string" },
  ]);
  assert.equal(validateEvents(check, [event({ user: "a", at: "2024-05-01T12:00:00Z" })]), undefined);
});

Deno.test("schema validation skips events not marked for validation", () => {
  const check = validator({ name: "orders", schema });
  assert.equal(validateEvents(check, [event(undefined, false), event({ user: "b" })]), undefined);
});

Deno.test("schema validation reports at most MAX_REPORTED_ERRORS errors however large the batch", () => {
  const check = validator({ name: "orders", schema });
  const bad = Array.from({ length: 50 }, () => event({ user: 1 }));
  const problem = validateEvents(check, bad);
  assert.equal((problem?.details as unknown[]).length, MAX_REPORTED_ERRORS);
  assert.equal(
    problem?.message,
    `50 of 50 events do not match the topic's schema (first 20 of 50 errors shown)`,
  );
});

Deno.test("schema compilation fails start-up with the topic, field and Ajv's reason", () => {
  const result = compileTopics([
    { name: "ok", schema },
    { name: "typo", schema: { type: "object", requried: ["a"] } },
    { name: "format", schema: { type: "string", format: "hostname" } },
    { name: "ptr", keyPointer: "user", idPointer: "/a~2" },
  ]);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.deepEqual(result.errors, [
    'topic "typo": schema: strict mode: unknown keyword: "requried"',
    'topic "format": schema: unknown format "hostname" ignored in schema at path "#"',
    'topic "ptr": keyPointer "user": JSON pointer must be empty or start with "/"',
    'topic "ptr": idPointer "/a~2": "~" in a JSON pointer must be followed by 0 or 1',
  ]);
});

Deno.test("schema compilation gives each topic its own Ajv so topics may share a $id", () => {
  const result = compileTopics([
    { name: "a", schema: { $id: "https://example.com/event", type: "string" } },
    { name: "b", schema: { $id: "https://example.com/event", type: "number" } },
  ]);
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.deepEqual(result.validators.get("a")!("x"), []);
  assert.equal(result.validators.get("b")!("x").length, 1);
  assert.equal(result.validators.has("none"), false);
});

Deno.test("schema formats date, time, uuid, email, ipv4 and uri accept valid and reject invalid values", () => {
  const cases: [string, string, string][] = [
    ["date", "2024-02-29", "2023-02-29"],
    ["time", "23:59:60Z", "24:00:00Z"],
    ["uuid", "0190a3c4-5b6e-7f00-8a1b-2c3d4e5f6a7b", "0190a3c4-5b6e-7f00-8a1b"],
    ["email", "a.b@example.com", "a b@example.com"],
    ["ipv4", "192.168.0.1", "256.1.1.1"],
    ["uri", "https://example.com/x?y", "/relative"],
  ];
  for (const [format, good, bad] of cases) {
    const check = validator({ name: format, schema: { type: "string", format } });
    assert.deepEqual(check(good), [], `${format} ${good}`);
    assert.equal(check(bad).length, 1, `${format} ${bad}`);
  }
});

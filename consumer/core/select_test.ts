import assert from "node:assert/strict";
import type { Envelope } from "@kafka-edge/lib";
import { compileFilter, compileProjection } from "./select.ts";

const event: Envelope = {
  id: "1",
  source: "/web",
  type: "user.login",
  specversion: "1.0",
  key: "keita",
  data: { user: { name: "keita", role: "admin", age: 30 }, action: "login", ok: true, gone: null },
  extensions: { region: "eu" },
};

function matches(expression: string, topic = "logs"): boolean {
  const compiled = compileFilter(expression);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.value(event, topic);
}

Deno.test("FILTER compares attributes, key, topic and extensions", () => {
  assert.equal(matches("type=user.login"), true);
  assert.equal(matches("type=user.logout"), false);
  assert.equal(matches("key=keita"), true);
  assert.equal(matches("topic=logs"), true);
  assert.equal(matches("region=eu"), true);
});

Deno.test("FILTER compares JSON pointers into the data as text", () => {
  assert.equal(matches("/action=login"), true);
  assert.equal(matches("/user/age=30"), true);
  assert.equal(matches("/ok=true"), true);
  assert.equal(matches("/gone=null"), true);
  assert.equal(matches("/user/name = keita "), true, "spaces around the parts are ignored");
});

Deno.test("!= holds for other and for missing values; && needs every condition", () => {
  assert.equal(matches("/user/role!=admin"), false);
  assert.equal(matches("/missing!=x"), true);
  assert.equal(matches("/missing=x"), false);
  assert.equal(matches("type=user.login && /user/role=admin"), true);
  assert.equal(matches("type=user.login && /user/role=guest"), false);
});

Deno.test("malformed FILTER expressions are rejected", () => {
  for (const bad of ["type", "Type=x", "/a~9=1", "=x"]) assert.equal(compileFilter(bad).ok, false, bad);
});

Deno.test("PROJECTION selects part of the data and reports when it selects nothing", () => {
  const projection = compileProjection("/user");
  assert.ok(projection.ok);
  assert.deepEqual(projection.value(event.data), {
    found: true,
    value: { name: "keita", role: "admin", age: 30 },
  });
  assert.deepEqual(projection.value({}), { found: false });
  assert.deepEqual(projection.value({ user: null }), { found: true, value: null });
  assert.equal(compileProjection("user").ok, false);
});

import assert from "node:assert/strict";
import { compileTemplate, DEFAULT_TEMPLATE, renderValue } from "./template.ts";
import type { SinkRecord } from "./sink.ts";

function record(data: unknown): SinkRecord {
  return {
    topic: "logs",
    partition: 1,
    offset: "42",
    timestamp: 1714564800000,
    key: null,
    value: null,
    headers: {},
    event: {
      id: "e1",
      source: "/web",
      type: "user.login",
      specversion: "1.0",
      data,
      extensions: { tenant: "t1" },
    },
  };
}

function render(template: string, data: unknown): string {
  const compiled = compileTemplate(template);
  if (!compiled.ok) throw new Error(compiled.message);
  return compiled.value(record(data));
}

Deno.test("the default template reproduces the article's line", () => {
  assert.equal(
    render(DEFAULT_TEMPLATE, { user: "keita", action: "login" }),
    "[LOG] User: keita, Action: login",
  );
});

Deno.test("missing values print as -, null as null, objects as compact JSON", () => {
  assert.equal(render(DEFAULT_TEMPLATE, { user: "keita" }), "[LOG] User: keita, Action: -");
  assert.equal(
    render("{/a} {/b} {/c} {/d}", { a: null, b: { x: [1] }, c: 1.5, d: true }),
    'null {"x":[1]} 1.5 true',
  );
  assert.equal(render("{/a}", "not an object"), "-");
});

Deno.test("record fields and attributes via {$name}; {{ }} are literal braces", () => {
  assert.equal(
    render("{$type} {$id} {$topic}/{$partition}@{$offset} {$tenant} {$nope}", {}),
    "user.login e1 logs/1@42 t1 -",
  );
  assert.equal(render("{{literal}} {/x}", { x: 1 }), "{literal} 1");
});

Deno.test("line breaks inside values cannot split a record over two lines", () => {
  assert.equal(render("{/msg}", { msg: "a\nb\r\nc" }), "a\\nb\\r\\nc");
  assert.equal(renderValue(new Uint8Array(3)), "[3 bytes]");
});

Deno.test("malformed templates are rejected with a hint", () => {
  for (const bad of ["{/user", "x}", "{user}", "{$Bad}", "{/a~2}"]) {
    const compiled = compileTemplate(bad);
    assert.equal(compiled.ok, false, bad);
  }
});

import assert from "node:assert/strict";
import { createLogger, isSecretKey, type LogLevel, REDACTED, redactUrl } from "./log.ts";

function capture(level: LogLevel = "debug", fields?: Record<string, unknown>) {
  const lines: string[] = [];
  const log = createLogger({ level, sink: (line) => lines.push(line), clock: { now: () => 0 }, fields });
  return { log, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

Deno.test("logger writes one JSON object per line with time, level and msg first", () => {
  const { log, lines } = capture();
  log.info("started", { port: 8080 });
  assert.equal(lines.length, 1);
  assert.equal(lines[0], '{"time":"1970-01-01T00:00:00.000Z","level":"info","msg":"started","port":8080}');
});

Deno.test("logger drops lines below its level", () => {
  const { log, records } = capture("warn");
  log.debug("d");
  log.info("i");
  log.warn("w");
  log.error("e");
  assert.deepEqual(records().map((r) => r.level), ["warn", "error"]);
  assert.equal(log.enabled("info"), false);
  assert.equal(log.enabled("error"), true);
});

Deno.test("child loggers add their fields and call-site fields win", () => {
  const { log, records } = capture("debug", { service: "producer" });
  const child = log.child({ component: "http", requestId: "a" });
  child.info("handled", { requestId: "b" });
  log.info("root");
  const [first, second] = records();
  assert.deepEqual(first, {
    time: "1970-01-01T00:00:00.000Z",
    level: "info",
    msg: "handled",
    service: "producer",
    component: "http",
    requestId: "b",
  });
  assert.equal(second.component, undefined);
});

Deno.test("logger serializes errors with name, message, stack and cause", () => {
  const { log, records } = capture();
  const err = new TypeError("boom", { cause: new Error("root cause") });
  log.error("failed", { err });
  const out = records()[0].err;
  assert.equal(out.name, "TypeError");
  assert.equal(out.message, "boom");
  assert.match(out.stack, /TypeError: boom/);
  assert.equal(out.cause.message, "root cause");
});

Deno.test("logger redacts values under secret-looking keys at any depth", () => {
  const { log, lines } = capture();
  log.info("config", {
    password: "hunter2-a",
    KAFKA_SASL_PASSWORD: "hunter2-b",
    nested: { apiKey: "hunter2-c", headers: { Authorization: "Bearer hunter2-d" } },
    list: [{ client_secret: "hunter2-e" }],
    token: "hunter2-f",
    request: new Headers({ authorization: "Basic hunter2-g", "x-trace": "t1" }),
    user: "alice",
  });
  assert.doesNotMatch(lines[0], /hunter2/);
  const rec = JSON.parse(lines[0]);
  assert.equal(rec.password, REDACTED);
  assert.equal(rec.nested.headers.Authorization, REDACTED);
  assert.equal(rec.list[0].client_secret, REDACTED);
  assert.deepEqual(rec.request, { authorization: REDACTED, "x-trace": "t1" });
  assert.equal(rec.user, "alice");
});

Deno.test("logger survives cycles, bigints and bytes", () => {
  const { log, records } = capture();
  const loop: Record<string, unknown> = { name: "loop" };
  loop.self = loop;
  log.info("odd", { loop, big: 10n ** 20n, bytes: new Uint8Array(3) });
  const rec = records()[0];
  assert.equal(rec.loop.self, "[circular]");
  assert.equal(rec.big, "100000000000000000000");
  assert.equal(rec.bytes, "[3 bytes]");
});

Deno.test("logger keeps core keys when fields reuse their names", () => {
  const { log, records } = capture();
  log.warn("real message", { msg: "fake", level: "debug" });
  const rec = records()[0];
  assert.equal(rec.msg, "real message");
  assert.equal(rec.level, "warn");
  assert.equal(rec.field_msg, "fake");
});

Deno.test("isSecretKey recognises common credential names regardless of case or separators", () => {
  for (const key of ["password", "X-Api-Key", "api_key", "accessToken", "AUTHORIZATION", "sasl.password"]) {
    assert.equal(isSecretKey(key), true, key);
  }
  for (const key of ["user", "broker", "topic", "partition"]) assert.equal(isSecretKey(key), false, key);
});

Deno.test("redactUrl hides the password of a URL but keeps the rest", () => {
  assert.equal(
    redactUrl("https://bob:pw@example.com/x"),
    `https://bob:${encodeURIComponent(REDACTED)}@example.com/x`,
  );
  assert.equal(redactUrl("https://example.com/x"), "https://example.com/x");
  assert.equal(redactUrl("not a url"), "not a url");
});

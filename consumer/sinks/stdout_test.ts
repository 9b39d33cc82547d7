import assert from "node:assert/strict";
import { parseConfig } from "@kafka-edge/lib";
import { SinkError, type SinkRecord } from "../core/sink.ts";
import { createStdoutSink, stdoutSinkSpec } from "./stdout.ts";

function record(data: unknown, id = "e1"): SinkRecord {
  return {
    topic: "logs",
    partition: 0,
    offset: "0",
    timestamp: 0,
    key: null,
    value: null,
    headers: {},
    event: { id, source: "/s", type: "t", specversion: "1.0", datacontenttype: "application/json", data },
  };
}

function sinkWith(env: Record<string, string>, write: (b: Uint8Array) => Promise<void>) {
  return createStdoutSink(parseConfig(stdoutSinkSpec, env), { write });
}

Deno.test("writes one line per record in a single write, acknowledging after it completed", async () => {
  const out: string[] = [];
  const sink = sinkWith({}, (b) => {
    out.push(new TextDecoder().decode(b));
    return Promise.resolve();
  });
  const result = await sink.write([record({ user: "keita", action: "login" }), record({ user: "ann" })], {
    signal: new AbortController().signal,
  });
  assert.deepEqual(result, {});
  assert.deepEqual(out, ["[LOG] User: keita, Action: login\n[LOG] User: ann, Action: -\n"]);
});

Deno.test("STDOUT_FORMAT=json prints the CloudEvent as one JSON line", async () => {
  let text = "";
  const sink = sinkWith({ STDOUT_FORMAT: "json" }, (b) => {
    text += new TextDecoder().decode(b);
    return Promise.resolve();
  });
  await sink.write([record({ a: 1 })], { signal: new AbortController().signal });
  assert.deepEqual(JSON.parse(text), {
    specversion: "1.0",
    id: "e1",
    source: "/s",
    type: "t",
    datacontenttype: "application/json",
    data: { a: 1 },
  });
});

Deno.test("a failing stdout (closed pipe) is a transient error, so nothing is committed", async () => {
  const sink = sinkWith({}, () => Promise.reject(new Error("Broken pipe")));
  await assert.rejects(
    sink.write([record({})], { signal: new AbortController().signal }),
    (err) => err instanceof SinkError && err.kind === "transient",
  );
});

import assert from "node:assert/strict";
import { ConfigError } from "@kafka-edge/lib";
import { loadTopics } from "./topics.ts";

function files(map: Record<string, string>) {
  return (path: string) => {
    if (!(path in map)) throw new Deno.errors.NotFound(`no such file: ${path}`);
    return map[path];
  };
}

Deno.test("loadTopics merges TOPICS names with the topics file and resolves schemaFile beside it", () => {
  const topics = loadTopics(
    ["logs"],
    "/etc/edge/topics.yaml",
    files({
      "/etc/edge/topics.yaml": "topics:\n  orders:\n    keyPointer: /customer\n    schemaFile: orders.json\n",
      "/etc/edge/orders.json": '{"type":"object","required":["customer"]}',
    }),
  );
  assert.deepEqual([...topics.keys()].sort(), ["logs", "orders"]);
  assert.equal(topics.get("orders")!.keyPointer, "/customer");
  assert.deepEqual(topics.get("orders")!.schema, { type: "object", required: ["customer"] });
});

Deno.test("loadTopics reports every problem of the file at once", () => {
  let err: ConfigError | undefined;
  try {
    loadTopics(
      ["bad name"],
      "/t.yaml",
      files({
        "/t.yaml":
          "topics:\n  a:\n    keyPointer: user\n    colour: red\n  b:\n    schemaFile: missing.json\n",
      }),
    );
  } catch (e) {
    err = e as ConfigError;
  }
  assert.ok(err instanceof ConfigError, "a ConfigError is thrown");
  const text = err.message;
  assert.match(text, /TOPICS: must list Kafka topic names/);
  assert.match(text, /keyPointer must be a JSON pointer/);
  assert.match(text, /unknown setting "colour"/);
  assert.match(text, /schemaFile must name a readable JSON Schema file/);
  assert.equal(err.problems.length, 4);
});

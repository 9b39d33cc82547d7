import assert from "node:assert/strict";
import { ConfigError } from "@kafka-edge/lib";
import { loadWorkerSettings, parseWorkerSettings } from "./config.ts";
import { SINK_NAMES } from "./sinks/registry.ts";

const minimal = { KAFKA_BROKERS: "127.0.0.1:9092", GROUP_ID: "logger-group", TOPICS: "logs" };

function problems(env: Record<string, string>): string[] {
  try {
    parseWorkerSettings(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.lines.slice();
  }
  assert.fail("expected a ConfigError");
}

Deno.test("brokers, group and topics are enough: the stdout sink with the article's template", () => {
  const { worker, sink } = parseWorkerSettings(minimal);
  assert.equal(sink.name, "stdout");
  assert.equal(sink.config.STDOUT_TEMPLATE, "[LOG] User: {/user}, Action: {/action}");
  assert.equal(worker.START_FROM, "earliest");
  assert.equal(worker.SHUTDOWN_TIMEOUT, 20_000, "below Kubernetes' 30 s grace period");
  assert.equal(worker.KAFKA_CLIENT_ID, "kafka-edge-worker");
});

Deno.test("every problem of the worker and of the selected sink is reported at once", () => {
  const lines = problems({
    KAFKA_BROKERS: "nope",
    SINK: "webhook",
    WEBHOOK_URL: "ftp://x",
    FILTER: "type",
    RETRY_INITIAL_BACKOFF: "10s",
    RETRY_MAX_BACKOFF: "1s",
    BATCH_SIZE: "0",
  });
  for (
    const name of [
      "KAFKA_BROKERS",
      "GROUP_ID",
      "TOPICS",
      "WEBHOOK_URL",
      "FILTER",
      "RETRY_INITIAL_BACKOFF",
      "BATCH_SIZE",
    ]
  ) {
    assert.ok(lines.some((l) => l.startsWith(name)), `${name} is reported:\n${lines.join("\n")}`);
  }
});

Deno.test("secrets never appear in configuration errors", () => {
  const lines = problems({ ...minimal, SINK: "postgres", POSTGRES_URL: "mysql://u:hunter2@h/db" });
  assert.ok(lines.some((l) => l.startsWith("POSTGRES_URL")));
  assert.ok(!lines.join("\n").includes("hunter2"));
});

Deno.test("cross-field rules: heartbeat vs session, DLQ not among the consumed topics", () => {
  const lines = problems({ ...minimal, HEARTBEAT_INTERVAL: "5s", SESSION_TIMEOUT: "10s", DLQ_TOPIC: "logs" });
  assert.ok(lines.some((l) => l.startsWith("HEARTBEAT_INTERVAL, SESSION_TIMEOUT")));
  assert.ok(lines.some((l) => l.startsWith("DLQ_TOPIC, TOPICS")));
});

Deno.test("a bad STDOUT_TEMPLATE and an unknown SINK are configuration errors", () => {
  assert.ok(problems({ ...minimal, STDOUT_TEMPLATE: "{/user" }).some((l) => l.startsWith("STDOUT_TEMPLATE")));
  assert.ok(problems({ ...minimal, SINK: "kinesis" }).some((l) => l.startsWith("SINK")));
});

Deno.test("every sink in the registry is selectable by name with its own variables", () => {
  const env = {
    ...minimal,
    OPENSEARCH_URL: "http://127.0.0.1:9200",
    S3_BUCKET: "b",
    S3_ACCESS_KEY_ID: "id",
    S3_SECRET_ACCESS_KEY: "secret",
    WEBHOOK_URL: "http://127.0.0.1:1/hook",
    POSTGRES_URL: "postgres://u:p@127.0.0.1/db",
  };
  for (const sink of SINK_NAMES) {
    assert.equal(parseWorkerSettings({ ...env, SINK: sink }).sink.name, sink);
  }
});

Deno.test("CONFIG_FILE supplies settings below env; unknown keys are warned about; failure exits 78", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/worker.yaml`;
  await Deno.writeTextFile(path, "GROUP_ID: from-file\nTOPICS: [a, b]\nBATCH_SIZE: 7\nTYPO_VAR: 1\n");
  const logged: string[] = [];
  const settings = loadWorkerSettings({
    env: { KAFKA_BROKERS: "127.0.0.1:9092", CONFIG_FILE: path, BATCH_SIZE: "9" },
    log: (l) => logged.push(l),
  });
  assert.equal(settings.worker.GROUP_ID, "from-file");
  assert.deepEqual(settings.worker.TOPICS, ["a", "b"]);
  assert.equal(settings.worker.BATCH_SIZE, 9, "env wins over the file");
  assert.ok(logged.some((l) => l.includes("TYPO_VAR")));
  let code = 0;
  assert.throws(() =>
    loadWorkerSettings({
      env: { CONFIG_FILE: `${dir}/missing.yaml` },
      log: () => {},
      exit: ((c: number) => {
        code = c;
      }) as (c: number) => never,
    })
  );
  assert.equal(code, 78);
  await Deno.remove(dir, { recursive: true });
});

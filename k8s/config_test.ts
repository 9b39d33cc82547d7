import assert from "node:assert/strict";
import { DeployConfigError, loadDeployConfig, parseDeployConfig } from "./config.ts";

const EXAMPLE = new URL("./config.example.yaml", import.meta.url).pathname;

function problemsOf(raw: unknown): DeployConfigError {
  try {
    parseDeployConfig(raw);
  } catch (err) {
    if (err instanceof DeployConfigError) return err;
    throw err;
  }
  assert.fail("expected a DeployConfigError");
}

Deno.test("config: the example file parses with its documented defaults filled in", async () => {
  const config = await loadDeployConfig(EXAMPLE);
  assert.equal(config.profile, "dev");
  assert.equal(config.autoscaler, "operator");
  assert.equal(config.workers[0].deadLetterTopic, "logs.dlq");
  assert.equal(config.workers[0].scaleToZero, false);
  assert.equal(config.images.operator.tag, "0.1.0");
});

Deno.test("config: every problem is reported at once, each with its path", () => {
  const err = problemsOf({
    profile: "staging",
    images: { tag: "latest" },
    topics: [{ name: "logs", partitions: 0 }, { name: "logs" }],
    gateway: { auth: ["api-key"], replicaz: 3 },
    workers: [{ name: "Bad_Name", topics: ["nope"], replicas: { min: 0, max: 2 } }],
  });
  const paths = err.problems.map((p) => p.split(":")[0]);
  assert.deepEqual(paths.sort(), [
    "gateway.apiKeysSecret",
    "gateway.replicaz",
    "images.gateway.tag",
    "images.operator.tag",
    "images.worker.tag",
    "profile",
    "topics",
    "topics[0].partitions",
    "workers[0].name",
    "workers[0].replicas.min",
    "workers[0].topics[0]",
  ]);
  assert.match(err.message, /11 problem\(s\)/);
});

Deno.test("config: jwt needs exactly one key source and a worker's DLQ must belong to its topics", () => {
  const err = problemsOf({
    topics: [{ name: "a" }, { name: "b" }],
    gateway: { auth: ["jwt"], jwt: { issuer: "i", audience: "a" } },
    workers: [{ name: "w", topics: ["a"], deadLetterTopic: "b.dlq" }],
  });
  assert.deepEqual(err.problems, [
    'workers[0].deadLetterTopic: must be the .dlq topic of one of its topics, got "b.dlq"',
    "gateway.jwt: needs exactly one of jwksUrl and jwksSecret",
  ]);
});

/**
 * The lag reader against a real broker with SCRAM: credentials come from (fake) Secrets, offsets are read
 * exactly, reading never commits anything for the group (no resolveOffsets), a wrong password or a dead
 * broker fails within the bound instead of hanging, and releasing closes the client.
 */
import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { createLogger } from "@kafka-edge/lib";
import { startKafka } from "@kafka-edge/lib/testing";
import {
  connectionSettings,
  createKafkaLagReader,
  type SecretReader,
} from "../operator/adapters/kafka_lag.ts";
import type { ConsumerAutoscalerSpec } from "../operator/core/types.ts";

const log = createLogger({ level: "error", sink: () => {} });

function secrets(values: Record<string, string>): SecretReader & { reads: string[] } {
  const reads: string[] = [];
  const read = (namespace: string, name: string, key: string) => {
    reads.push(`${namespace}/${name}/${key}`);
    const value = values[`${name}/${key}`];
    return value === undefined
      ? Promise.reject(new Error(`no secret ${name}/${key}`))
      : Promise.resolve(value);
  };
  return Object.assign(read, { reads });
}

Deno.test("lag reader: connection settings take SASL and the CA from the referenced Secrets", async () => {
  const read = secrets({
    "kafka-user/username": "alice",
    "kafka-user/password": "s3cret",
    "kafka-ca/ca.crt": "PEM",
  });
  const { settings, tls } = await connectionSettings(
    "workers",
    {
      bootstrapServers: "a:9093, b:9093",
      tls: { enabled: true, caSecretRef: { name: "kafka-ca", key: "ca.crt" } },
      sasl: {
        mechanism: "scram-sha-512",
        usernameSecretRef: { name: "kafka-user", key: "username" },
        passwordSecretRef: { name: "kafka-user", key: "password" },
      },
    },
    read,
    "op",
    8_000,
  );
  assert.deepEqual(settings.KAFKA_BROKERS, ["a:9093", "b:9093"]);
  assert.equal(settings.KAFKA_SASL_MECHANISM, "scram-sha-512");
  assert.equal(settings.KAFKA_SASL_USERNAME, "alice");
  assert.equal(settings.KAFKA_SASL_PASSWORD, "s3cret");
  assert.equal(settings.KAFKA_TLS, true);
  assert.deepEqual(tls, { ca: "PEM" });
  assert.deepEqual(read.reads.sort(), [
    "workers/kafka-ca/ca.crt",
    "workers/kafka-user/password",
    "workers/kafka-user/username",
  ]);
});

Deno.test({
  name: "lag reader: reads log-end and committed offsets over SCRAM, read-only, bounded on failure",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using k = await startKafka({ scram: true, users: { alice: "alice-secret" } });
    const sasl = { mechanism: "scram-sha-512", username: "alice", password: "alice-secret" } as const;
    const kafka = new Kafka({ brokers: k.sasl!.bootstrap.split(","), sasl, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 3 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: "t",
        messages: [0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: `v${i}` })),
      });
      await producer.disconnect();
      await admin.setOffsets({
        groupId: "committed",
        topic: "t",
        partitions: [{ partition: 0, offset: "2" }],
      });

      const spec = (groupId: string, passwordKey = "password"): ConsumerAutoscalerSpec => ({
        scaleTargetRef: { kind: "Deployment", name: "w" },
        kafka: {
          bootstrapServers: k.sasl!.bootstrap,
          sasl: {
            mechanism: "scram-sha-512",
            usernameSecretRef: { name: "user", key: "username" },
            passwordSecretRef: { name: "user", key: passwordKey },
          },
        },
        groupId,
        topics: ["t"],
        minReplicas: 1,
        maxReplicas: 3,
      });
      const read = secrets({
        "user/username": "alice",
        "user/password": "alice-secret",
        "user/wrong": "nope",
      });
      const reader = createKafkaLagReader({ readSecret: read, log, timeoutMs: 5_000 });
      try {
        await t.step("offsets per partition, null where the group never committed", async () => {
          const { sample, logStartOffsets } = await reader.read("ns/a", "ns", spec("committed"));
          assert.deepEqual(
            sample.partitions.map((p) => [p.partition, p.logEndOffset, p.committedOffset]),
            [[0, 3n, 2n], [1, 2n, null], [2, 0n, null]],
          );
          assert.equal(logStartOffsets.get("t/0"), 0n);
          assert.ok(Math.abs(sample.at - Date.now()) < 5_000);
        });

        await t.step("reading a group's lag commits nothing for it", async () => {
          await reader.read("ns/b", "ns", spec("never-consumed"));
          const offsets = await admin.fetchOffsets({ groupId: "never-consumed", topics: ["t"] });
          assert.deepEqual(offsets[0].partitions.map((p) => p.offset), ["-1", "-1", "-1"]);
          const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
          assert.ok(!groups.includes("never-consumed"), `no group was created: ${groups}`);
        });

        await t.step("the client is reused per autoscaler until released", async () => {
          const before = read.reads.length;
          await reader.read("ns/a", "ns", spec("committed"));
          assert.equal(read.reads.length, before, "no Secret read for a cached client");
          await reader.release("ns/a");
          await reader.read("ns/a", "ns", spec("committed"));
          assert.equal(read.reads.length, before + 2, "a released client is rebuilt from the Secrets");
        });

        await t.step("a wrong password fails the read within the bound", async () => {
          const started = Date.now();
          await assert.rejects(reader.read("ns/c", "ns", spec("committed", "wrong")));
          assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
          await reader.release("ns/c");
        });

        await t.step("a stopped broker fails the read within the bound", async () => {
          await reader.release("ns/a");
          await k.stop(1);
          const started = Date.now();
          await assert.rejects(reader.read("ns/a", "ns", spec("committed")));
          assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
        });
      } finally {
        await reader.closeAll();
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },
});

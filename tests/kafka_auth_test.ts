/**
 * lib's Kafka factory against a broker with SCRAM-SHA-512 and TLS listeners: the settings users put in env
 * vars really connect, and a wrong password fails with an error that names the cause. The same settings
 * drive the gateway's other client (KAFKA_CLIENT=platformatic).
 */
import assert from "node:assert/strict";
import { createKafka, createLogger, kafkaConfigSpec, parseConfig } from "@kafka-edge/lib";
import { startKafka } from "@kafka-edge/lib/testing";
import { createPlatformaticSender } from "../producer/adapters/platformatic_sender.ts";

const quiet = createLogger({ level: "error", sink: () => {} });

function kafkaFromEnv(env: Record<string, string>) {
  return createKafka(parseConfig(kafkaConfigSpec, { KAFKA_RETRIES: "0", ...env }), quiet);
}

async function clusterIdVia(env: Record<string, string>): Promise<string> {
  const admin = kafkaFromEnv(env).admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}

Deno.test({
  name: "kafka factory connects over SCRAM-SHA-512, TLS and SASL_SSL, and rejects a wrong password clearly",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using k = await startKafka({ scram: true, tls: true, users: { gateway: "right-password" } });
    const scram = {
      KAFKA_BROKERS: k.sasl!.bootstrap,
      KAFKA_SASL_MECHANISM: "scram-sha-512",
      KAFKA_SASL_USERNAME: "gateway",
    };

    await t.step("SCRAM-SHA-512 with the right password succeeds", async () => {
      assert.ok(await clusterIdVia({ ...scram, KAFKA_SASL_PASSWORD: "right-password" }));
    });

    await t.step("SCRAM-SHA-512 with a wrong password fails with an authentication error", async () => {
      const err = await clusterIdVia({ ...scram, KAFKA_SASL_PASSWORD: "wrong-password" }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      assert.ok(err, "connecting with a wrong password must fail");
      assert.match(`${err.name} ${err.message}`, /SASL.*(authentication failed|Authentication failed)/i);
      assert.doesNotMatch(err.message, /wrong-password/, "the password is not echoed");
    });

    await t.step("TLS with the generated CA succeeds", async () => {
      assert.ok(
        await clusterIdVia({
          KAFKA_BROKERS: k.tls!.bootstrap,
          KAFKA_TLS: "true",
          KAFKA_TLS_CA_FILE: k.tls!.certs.caFile,
        }),
      );
    });

    await t.step("TLS without trusting the CA is refused", async () => {
      await assert.rejects(clusterIdVia({ KAFKA_BROKERS: k.tls!.bootstrap, KAFKA_TLS: "true" }));
    });

    await t.step("SCRAM-SHA-512 over TLS (SASL_SSL) produces and reads back", async () => {
      const kafka = kafkaFromEnv({
        ...scram,
        KAFKA_BROKERS: k.tls!.saslBootstrap!,
        KAFKA_TLS: "true",
        KAFKA_TLS_CA_FILE: k.tls!.certs.caFile,
        KAFKA_SASL_PASSWORD: "right-password",
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "secure", numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 } });
      await producer.connect();
      const [ack] = await producer.send({ topic: "secure", acks: -1, messages: [{ key: "k", value: "v" }] });
      await producer.disconnect();
      assert.equal(ack.errorCode, 0);
      const offsets = await (async () => {
        const a = kafka.admin();
        await a.connect();
        try {
          return await a.fetchTopicOffsets("secure");
        } finally {
          await a.disconnect();
        }
      })();
      assert.equal(offsets[0].high, "1");
    });

    await t.step(
      "the same settings connect the @platformatic/kafka sender over SASL_SSL, and it writes",
      async () => {
        const env = {
          ...scram,
          KAFKA_BROKERS: k.tls!.saslBootstrap!,
          KAFKA_TLS: "true",
          KAFKA_TLS_CA_FILE: k.tls!.certs.caFile,
        };
        const wrong = createPlatformaticSender(
          parseConfig(kafkaConfigSpec, {
            ...env,
            KAFKA_RETRIES: "0",
            KAFKA_CONNECTION_TIMEOUT: "1000",
            KAFKA_SASL_PASSWORD: "wrong-password",
          }),
          quiet,
          { sendTimeoutMs: 5_000 },
        );
        const err = await wrong.connect().then(() => undefined, (e: unknown) => e as Error);
        await wrong.disconnect();
        assert.ok(err, "connecting with a wrong password must fail, not hang");
        assert.match(err.message, /KAFKA_SASL_/, "the error points at the settings to check");
        assert.doesNotMatch(
          JSON.stringify(err) + String(err),
          /wrong-password/,
          "the password is not echoed",
        );

        const sender = createPlatformaticSender(
          parseConfig(kafkaConfigSpec, { ...env, KAFKA_SASL_PASSWORD: "right-password" }),
          quiet,
          { sendTimeoutMs: 5_000 },
        );
        await sender.connect();
        const value = new TextEncoder().encode("v2");
        const [result] = await sender.sendMany([{
          topic: "secure",
          partition: 0,
          records: [{ key: null, value, headers: [["h", "x"]] }],
        }], 5_000);
        await sender.disconnect();
        assert.deepEqual(result, { ok: true, baseOffset: 1n }, "written after kafkajs' record at offset 0");
      },
    );
  },
});

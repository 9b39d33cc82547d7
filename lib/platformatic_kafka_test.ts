import assert from "node:assert/strict";
import { kafkaConfigSpec, type KafkaSettings, parseConfig } from "./config.ts";
import { platformaticKafkaOptions } from "./platformatic_kafka.ts";

function settings(env: Record<string, string>): KafkaSettings {
  return parseConfig(kafkaConfigSpec, { KAFKA_BROKERS: "k1:9092,k2:9093", ...env });
}

Deno.test("platformaticKafkaOptions maps plain defaults to a TLS-less, SASL-less client", () => {
  const options = platformaticKafkaOptions(settings({}));
  assert.deepEqual(options.bootstrapBrokers, ["k1:9092", "k2:9093"]);
  assert.equal(options.clientId, "kafka-edge");
  assert.equal(options.tls, undefined);
  assert.equal(options.sasl, undefined);
  assert.equal(options.connectTimeout, 3_000);
  assert.equal(options.requestTimeout, 30_000);
});

Deno.test("platformaticKafkaOptions maps each SASL mechanism to the library's name, with the credentials", () => {
  for (
    const [ours, theirs] of [["plain", "PLAIN"], ["scram-sha-256", "SCRAM-SHA-256"], [
      "scram-sha-512",
      "SCRAM-SHA-512",
    ]]
  ) {
    const options = platformaticKafkaOptions(settings({
      KAFKA_SASL_MECHANISM: ours,
      KAFKA_SASL_USERNAME: "svc",
      KAFKA_SASL_PASSWORD: "s3cret",
    }));
    assert.deepEqual(options.sasl, { mechanism: theirs, username: "svc", password: "s3cret" });
  }
});

Deno.test("platformaticKafkaOptions maps TLS material, verification and SNI for named brokers", () => {
  const options = platformaticKafkaOptions(
    settings({ KAFKA_TLS: "true", KAFKA_TLS_INSECURE: "true" }),
    { ca: "CA", cert: "CERT", key: "KEY" },
  );
  assert.deepEqual(options.tls, { rejectUnauthorized: false, ca: ["CA"], cert: "CERT", key: "KEY" });
  assert.equal(options.tlsServerName, true);
  const byIp = platformaticKafkaOptions(settings({ KAFKA_BROKERS: "127.0.0.1:9093", KAFKA_TLS: "true" }));
  assert.deepEqual(byIp.tls, { rejectUnauthorized: true });
  assert.equal(byIp.tlsServerName, undefined, "no SNI for an IP address");
});

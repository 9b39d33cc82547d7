import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { logLevel } from "kafkajs";
import { kafkaConfigSpec, type KafkaSettings, parseConfig } from "./config.ts";
import {
  createKafka,
  kafkajsLevel,
  kafkajsLogCreator,
  kafkaOptions,
  kafkaSocketFactory,
  readTlsMaterial,
  type SocketModules,
  toKafkajsMessage,
} from "./kafka.ts";
import { createLogger } from "./log.ts";

function settings(env: Record<string, string>): KafkaSettings {
  return parseConfig(kafkaConfigSpec, { KAFKA_BROKERS: "k1:9092,k2:9093", ...env });
}

function withTempFiles<T>(fn: (paths: { ca: string; cert: string; key: string }) => T): T {
  const paths = { ca: Deno.makeTempFileSync(), cert: Deno.makeTempFileSync(), key: Deno.makeTempFileSync() };
  try {
    return fn(paths);
  } finally {
    for (const path of Object.values(paths)) Deno.removeSync(path);
  }
}

Deno.test("kafkaOptions maps plain defaults to a TLS-less, SASL-less client", () => {
  const { socketFactory, ...options } = kafkaOptions(settings({}));
  assert.equal(typeof socketFactory, "function");
  assert.deepEqual(options, {
    clientId: "kafka-edge",
    brokers: ["k1:9092", "k2:9093"],
    ssl: false,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { retries: 5, initialRetryTime: 300 },
  });
});

Deno.test("kafkaOptions maps SASL mechanism and credentials", () => {
  const opts = kafkaOptions(settings({
    KAFKA_SASL_MECHANISM: "scram-sha-512",
    KAFKA_SASL_USERNAME: "edge",
    KAFKA_SASL_PASSWORD: "pw",
    KAFKA_TLS: "true",
    KAFKA_CLIENT_ID: "producer-1",
    KAFKA_REQUEST_TIMEOUT: "10s",
  }));
  assert.deepEqual(opts.sasl, { mechanism: "scram-sha-512", username: "edge", password: "pw" });
  assert.equal(opts.ssl, true);
  assert.equal(opts.clientId, "producer-1");
  assert.equal(opts.requestTimeout, 10_000);
});

Deno.test("kafkaOptions passes CA, client cert and key and honours KAFKA_TLS_INSECURE", () => {
  withTempFiles(({ ca, cert, key }) => {
    const cfg = settings({
      KAFKA_TLS: "true",
      KAFKA_TLS_CA_FILE: ca,
      KAFKA_TLS_CERT_FILE: cert,
      KAFKA_TLS_KEY_FILE: key,
    });
    assert.deepEqual(kafkaOptions(cfg, { ca: "CA", cert: "CERT", key: "KEY" }).ssl, {
      rejectUnauthorized: true,
      ca: ["CA"],
      cert: "CERT",
      key: "KEY",
    });
  });
  assert.deepEqual(kafkaOptions(settings({ KAFKA_TLS: "true", KAFKA_TLS_INSECURE: "true" })).ssl, {
    rejectUnauthorized: false,
  });
});

Deno.test("readTlsMaterial reads exactly the files that are configured", () => {
  withTempFiles(({ ca }) => {
    const read: string[] = [];
    const cfg = settings({ KAFKA_TLS: "true", KAFKA_TLS_CA_FILE: ca });
    const tls = readTlsMaterial(cfg, (path) => {
      read.push(path);
      return `pem:${path}`;
    });
    assert.deepEqual(read, [ca]);
    assert.deepEqual(tls, { ca: `pem:${ca}`, cert: undefined, key: undefined });
  });
});

Deno.test("createKafka reads the configured TLS files through the injected reader", () => {
  withTempFiles(({ ca, cert, key }) => {
    const read: string[] = [];
    const cfg = settings({
      KAFKA_TLS: "true",
      KAFKA_TLS_CA_FILE: ca,
      KAFKA_TLS_CERT_FILE: cert,
      KAFKA_TLS_KEY_FILE: key,
    });
    createKafka(cfg, createLogger({ sink: () => {} }), {
      readTextFile: (path) => {
        read.push(path);
        return "-----BEGIN CERTIFICATE-----";
      },
    });
    assert.deepEqual(read, [ca, cert, key]);
  });
});

Deno.test("kafkajsLevel keeps kafkajs from producing lines our logger would drop", () => {
  assert.equal(kafkajsLevel("debug"), logLevel.DEBUG);
  assert.equal(kafkajsLevel("info"), logLevel.INFO);
  assert.equal(kafkajsLevel("warn"), logLevel.WARN);
  assert.equal(kafkajsLevel("error"), logLevel.ERROR);
});

Deno.test("kafkajsLogCreator maps kafkajs entries to JSON lines with namespace and extra fields", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", sink: (l) => lines.push(l), clock: { now: () => 0 } });
  const write = kafkajsLogCreator(logger)(logLevel.DEBUG);
  const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}) =>
    write({
      namespace: "Connection",
      level,
      label: "X",
      log: { timestamp: "2024-01-01T00:00:00.000Z", logger: "kafkajs", message, ...extra },
    });
  entry(logLevel.ERROR, "Connection error", { broker: "k1:9092", error: "ECONNREFUSED" });
  entry(logLevel.WARN, "w");
  entry(logLevel.INFO, "i");
  entry(logLevel.DEBUG, "d", { password: "leak-me-not" });
  entry(logLevel.NOTHING, "never");
  const records = lines.map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.level), ["error", "warn", "info", "debug"]);
  assert.deepEqual(records[0], {
    time: "1970-01-01T00:00:00.000Z",
    level: "error",
    msg: "Connection error",
    component: "kafkajs",
    namespace: "Connection",
    broker: "k1:9092",
    error: "ECONNREFUSED",
  });
  assert.doesNotMatch(lines.join("\n"), /leak-me-not/);
});

Deno.test("createKafka builds a client without connecting and warns about PLAIN without TLS", () => {
  const lines: string[] = [];
  const logger = createLogger({ sink: (l) => lines.push(l) });
  const kafka = createKafka(
    settings({ KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" }),
    logger,
  );
  assert.equal(typeof kafka.producer, "function");
  assert.equal(lines.length, 1);
  assert.match(JSON.parse(lines[0]).msg, /clear text/);
});

Deno.test("toKafkajsMessage turns bytes into a Buffer over the same memory and keeps strings", () => {
  const backing = new Uint8Array([9, 1, 2, 3, 9]);
  const msg = toKafkajsMessage({
    key: "k",
    value: backing.subarray(1, 4),
    headers: { a: "b" },
    partition: 1,
  });
  assert.ok(Buffer.isBuffer(msg.value));
  assert.deepEqual([...(msg.value as Buffer)], [1, 2, 3]);
  assert.deepEqual(msg.headers, { a: "b" });
  assert.equal(msg.partition, 1);
  const text = toKafkajsMessage({ key: null, value: "{}", headers: {} });
  assert.equal(text.value, "{}");
  assert.equal("partition" in text, false);
});

Deno.test("silenceKafkajsTimerWarning drops only kafkajs' negative-timeout warning", async () => {
  const { silenceKafkajsTimerWarning } = await import("./kafka.ts");
  const process = (await import("node:process")).default;
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(w.name);
  process.on("warning", listener);
  try {
    silenceKafkajsTimerWarning();
    const t = setTimeout(() => {}, -5);
    clearTimeout(t);
    process.emitWarning("something else", "CustomWarning");
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen, ["CustomWarning"]);
  } finally {
    process.off("warning", listener);
  }
});

Deno.test("kafka sockets turn Nagle's algorithm off and keep kafkajs' keep-alive, plain and TLS", () => {
  const calls: string[] = [];
  const fakeSocket = (kind: string) => ({
    setKeepAlive: (on: boolean, ms: number) => calls.push(`${kind} keepAlive ${on} ${ms}`),
    setNoDelay: (on: boolean) => calls.push(`${kind} noDelay ${on}`),
  });
  type Opts = { host: string; port: number; servername?: string };
  const netConnect = (opts: Opts) => (calls.push(`net ${opts.host}:${opts.port}`), fakeSocket("net"));
  const tlsConnect = (opts: Opts) => (
    calls.push(`tls ${opts.host}:${opts.port} sni=${opts.servername}`), fakeSocket("tls")
  );
  const factory = kafkaSocketFactory({
    net: {
      connect: netConnect as unknown as SocketModules["net"]["connect"],
      isIP: (host: string) => (/^[\d.]+$/.test(host) ? 4 : 0),
    },
    tls: { connect: tlsConnect as unknown as SocketModules["tls"]["connect"] },
  });
  const onConnect = () => {};
  factory({ host: "127.0.0.1", port: 9092, ssl: undefined as never, onConnect });
  factory({ host: "kafka.example", port: 9093, ssl: { rejectUnauthorized: true }, onConnect });
  assert.deepEqual(calls, [
    "net 127.0.0.1:9092",
    "net keepAlive true 60000",
    "net noDelay true",
    "tls kafka.example:9093 sni=kafka.example",
    "tls keepAlive true 60000",
    "tls noDelay true",
  ]);
});

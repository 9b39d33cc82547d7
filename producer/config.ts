/** The gateway's settings: one typed object parsed once at start-up from env (and CONFIG_FILE). */
import {
  bool,
  type ConfigOf,
  duration,
  extendConfig,
  filePath,
  int,
  kafkaConfigSpec,
  list,
  oneOf,
  str,
  url,
} from "@kafka-edge/lib";

const AUTH_METHODS = ["api-key", "jwt", "none"] as const;

const fields = {
  KAFKA_CLIENT_ID: str().default("kafka-edge-gateway"),
  KAFKA_CLIENT: oneOf(["kafkajs", "platformatic"]).default("kafkajs").describe(
    "client library that writes events (@platformatic/kafka: less CPU per event); metadata always uses kafkajs",
  ),
  PORT: int({ min: 0, max: 65535 }).default(8080).example("8080"),
  HOST: str().default("0.0.0.0").example("0.0.0.0"),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"]).default("info"),
  TOPICS: list().optional().example("logs,notifications").describe(
    "topics accepted without per-topic settings",
  ),
  TOPICS_FILE: filePath().optional().example("/etc/kafka-edge/topics.yaml")
    .describe("YAML/JSON with per-topic schema, keyPointer, idPointer"),
  AUTH_METHODS: list().default(["api-key"]).example("api-key,jwt")
    .describe(`any of ${AUTH_METHODS.join(", ")}; "none" only for local development`),
  API_KEYS_FILE: filePath().optional().example("/etc/kafka-edge/api-keys.yaml"),
  JWT_JWKS_FILE: filePath().optional().example("/etc/kafka-edge/jwks.json"),
  JWT_JWKS_URL: url({ protocols: ["https:", "http:"] }).optional().example(
    "https://issuer.example/.well-known/jwks.json",
  ),
  JWT_HS_SECRET: str().optional().secret().example("<32+ random bytes>")
    .describe("shared HMAC secret; the only way to enable HS256 (instead of a JWKS)"),
  JWT_TOPIC_MAP_FILE: filePath().optional().example("/etc/kafka-edge/jwt-topics.yaml")
    .describe("subject → topics that subject may ever write to"),
  JWT_ISSUER: str().optional().example("https://issuer.example/"),
  JWT_AUDIENCE: str().optional().example("kafka-edge"),
  JWT_ALGORITHMS: list().default(["RS256", "ES256"]).example("RS256,ES256"),
  JWT_TOPICS_CLAIM: str().default("topics"),
  JWT_CLOCK_TOLERANCE: duration({ min: 0, max: 300_000 }).default(30_000),
  RATE_LIMIT_PER_SECOND: int({ min: 1 }).default(10_000).describe("default events/s per principal"),
  RATE_LIMIT_BURST: int({ min: 1 }).default(20_000),
  CORS_ORIGINS: list().default([]).example("https://app.example"),
  MAX_BODY_BYTES: int({ min: 1024 }).default(1_048_576),
  MAX_EVENTS: int({ min: 1 }).default(1000),
  MAX_EVENT_BYTES: int({ min: 16 }).default(900_000)
    .describe("keep below the brokers' message.max.bytes (1 MiB by default)"),
  MAX_JSON_DEPTH: int({ min: 1, max: 1000 }).default(64),
  BUFFER_BYTES: int({ min: 65_536 }).default(64 * 1024 * 1024).describe(
    "bytes held for Kafka at once; beyond: 429",
  ),
  LINGER: duration({ min: 0, max: 1000 }).default(2)
    .describe("how long a batch waits for company while another send is in flight; none when Kafka is idle"),
  MAX_BATCH_BYTES: int({ min: 1024 }).default(1_000_000).describe("below the brokers' message.max.bytes"),
  REQUEST_TIMEOUT: duration({ min: 100 }).default(10_000).describe(
    "how long a request waits for Kafka's ack",
  ),
  SEND_TIMEOUT: duration({ min: 100 }).default(5_000),
  SEND_STALL_AFTER: duration({ min: 100 }).default(3_000)
    .describe("a send pending longer marks the gateway not ready (Kafka takes no writes)"),
  METADATA_REFRESH: duration({ min: 100 }).default(2_000),
  METADATA_STALE_AFTER: duration({ min: 500 }).default(6_000),
  RETRY_AFTER_BUSY: int({ min: 1 }).default(1),
  RETRY_AFTER_UNAVAILABLE: int({ min: 1 }).default(5),
  SHUTDOWN_TIMEOUT: duration({ min: 1000 }).default(20_000),
  DEV_MODE: bool().default(false).describe("allows AUTH_METHODS=none"),
};

/** The gateway's config spec: Kafka connection settings plus the fields above. */
export const producerConfigSpec = extendConfig(kafkaConfigSpec, fields, [
  {
    uses: [
      "AUTH_METHODS",
      "DEV_MODE",
      "API_KEYS_FILE",
      "JWT_JWKS_FILE",
      "JWT_JWKS_URL",
      "JWT_ISSUER",
      "JWT_AUDIENCE",
    ],
    run(c) {
      const problems = [];
      const unknown = c.AUTH_METHODS.filter((m) => !(AUTH_METHODS as readonly string[]).includes(m));
      if (unknown.length > 0) {
        problems.push({
          variables: ["AUTH_METHODS"],
          message: `must list only ${AUTH_METHODS.join(", ")}`,
          actual: `got ${JSON.stringify(unknown.join(","))}`,
          fix: "set AUTH_METHODS=api-key or AUTH_METHODS=api-key,jwt",
        });
      }
      if (c.AUTH_METHODS.includes("none") && (c.AUTH_METHODS.length > 1 || !c.DEV_MODE)) {
        problems.push({
          variables: ["AUTH_METHODS", "DEV_MODE"],
          message:
            "may be none only alone and with DEV_MODE=true (authentication off is for local development)",
          actual: `got AUTH_METHODS=${c.AUTH_METHODS.join(",")}, DEV_MODE=${c.DEV_MODE}`,
          fix: "set AUTH_METHODS=api-key, or DEV_MODE=true AUTH_METHODS=none on a laptop",
        });
      }
      if (c.AUTH_METHODS.includes("api-key") && c.API_KEYS_FILE === undefined) {
        problems.push({
          variables: ["API_KEYS_FILE"],
          message: "required when AUTH_METHODS includes api-key",
          actual: "not set",
          fix: "set API_KEYS_FILE=/etc/kafka-edge/api-keys.yaml (make keys with: deno task apikey)",
        });
      }
      if (c.AUTH_METHODS.includes("jwt")) {
        const missing = (["JWT_ISSUER", "JWT_AUDIENCE"] as const).filter((n) => c[n] === undefined);
        if (missing.length > 0) {
          problems.push({
            variables: missing,
            message: "required when AUTH_METHODS includes jwt (tokens are checked for both)",
            actual: "not set",
            fix: "set JWT_ISSUER=https://issuer.example/ JWT_AUDIENCE=kafka-edge",
          });
        }
        const sources = (["JWT_JWKS_FILE", "JWT_JWKS_URL", "JWT_HS_SECRET"] as const).filter((n) =>
          c[n] !== undefined
        );
        if (sources.length !== 1) {
          problems.push({
            variables: ["JWT_JWKS_FILE", "JWT_JWKS_URL", "JWT_HS_SECRET"],
            message: "exactly one key source must be set when AUTH_METHODS includes jwt",
            actual: sources.length === 0 ? "none is set" : `${sources.join(" and ")} are set`,
            fix: "set JWT_JWKS_FILE=/etc/kafka-edge/jwks.json or JWT_JWKS_URL=https://…/jwks.json",
          });
        }
      }
      return problems;
    },
  },
  {
    uses: ["TOPICS", "TOPICS_FILE"],
    run(c) {
      if (c.TOPICS !== undefined || c.TOPICS_FILE !== undefined) return [];
      return [{
        variables: ["TOPICS", "TOPICS_FILE"],
        message: "one must be set: the gateway accepts only configured topics",
        actual: "neither is set",
        fix: "set TOPICS=logs or TOPICS_FILE=/etc/kafka-edge/topics.yaml",
      }];
    },
  },
  {
    uses: ["MAX_EVENT_BYTES", "MAX_BATCH_BYTES", "MAX_BODY_BYTES", "BUFFER_BYTES"],
    run(c) {
      if (c.MAX_EVENT_BYTES <= c.MAX_BATCH_BYTES && c.MAX_BODY_BYTES <= c.BUFFER_BYTES) return [];
      return [{
        variables: ["MAX_EVENT_BYTES", "MAX_BATCH_BYTES", "MAX_BODY_BYTES", "BUFFER_BYTES"],
        message: "must satisfy MAX_EVENT_BYTES ≤ MAX_BATCH_BYTES and MAX_BODY_BYTES ≤ BUFFER_BYTES",
        actual: `got ${c.MAX_EVENT_BYTES}, ${c.MAX_BATCH_BYTES}, ${c.MAX_BODY_BYTES}, ${c.BUFFER_BYTES}`,
        fix: "lower MAX_EVENT_BYTES or MAX_BODY_BYTES, or raise the others",
      }];
    },
  },
]);

/** Parsed gateway settings. */
export type ProducerConfig = ConfigOf<typeof producerConfigSpec.fields>;

/**
 * The sink registry: SINK names → their settings (parsed only when selected) and a `(config, deps) => Sink`
 * factory. Adding a sink means one file under sinks/ and one entry here.
 *
 * OpenSearch and S3 take an options object; their environment variables are mapped here, by name, so
 * those files stay free of configuration parsing.
 *
 * @module
 */
import {
  bool,
  type ConfigOf,
  type ConfigSpec,
  defineConfig,
  duration,
  type Fields,
  int,
  type Logger,
  oneOf,
  str,
  url,
} from "@kafka-edge/lib";
import type { Sink } from "../core/sink.ts";
import { createNoopSink, noopSinkSpec } from "./noop.ts";
import { createOpenSearchSink } from "./opensearch.ts";
import { createPostgresSink, postgresSinkSpec } from "./postgres.ts";
import { createS3Sink } from "./s3.ts";
import { createStdoutSink, stdoutSinkSpec } from "./stdout.ts";
import { createWebhookSink, webhookSinkSpec } from "./webhook.ts";

/** Every SINK value the worker accepts. */
export const SINK_NAMES = ["stdout", "webhook", "postgres", "opensearch", "s3", "noop"] as const;

/** A SINK value. */
export type SinkName = typeof SINK_NAMES[number];

/** What every factory may use. */
export interface SinkDeps {
  readonly log: Logger;
  readonly now?: () => number;
}

/** One registered sink. */
export interface SinkDefinition<F extends Fields = Fields> {
  readonly spec: ConfigSpec<F>;
  /** Set when this build cannot provide the sink; selecting it is a configuration error saying why. */
  readonly unavailable?: string;
  readonly create: (config: ConfigOf<F>, deps: SinkDeps) => Sink;
}

function define<F extends Fields>(definition: SinkDefinition<F>): SinkDefinition {
  return definition as unknown as SinkDefinition;
}

/** OPENSEARCH_* variables. */
export const openSearchSinkSpec = defineConfig({
  OPENSEARCH_URL: url({ protocols: ["https:", "http:"] }).example("https://search.internal:9200")
    .describe("cluster URL; user:password in it is used for basic auth"),
  OPENSEARCH_INDEX: str().default("logs-{topic}-{yyyy.MM.dd}").describe(
    "index template ({topic}, yyyy MM dd HH)",
  ),
  OPENSEARCH_ACTION: oneOf(["index", "create"]).default("index")
    .describe("index overwrites a replayed document, create keeps the first"),
  OPENSEARCH_USERNAME: str().optional(),
  OPENSEARCH_PASSWORD: str().optional().secret(),
  OPENSEARCH_API_KEY: str().optional().secret(),
  OPENSEARCH_TIMEOUT: duration({ min: 100 }).default(30_000),
  OPENSEARCH_MAX_BULK_BYTES: int({ min: 1024 }).default(5 * 1024 * 1024),
});

/** S3_* variables. */
export const s3SinkSpec = defineConfig({
  S3_BUCKET: str().example("kafka-archive"),
  S3_REGION: str().default("us-east-1"),
  S3_ENDPOINT: url({ protocols: ["https:", "http:"] }).optional().example("http://minio:9000")
    .describe("for MinIO, R2 and other S3-compatible stores"),
  S3_FORCE_PATH_STYLE: bool().default(false),
  S3_ACCESS_KEY_ID: str().secret(),
  S3_SECRET_ACCESS_KEY: str().secret(),
  S3_SESSION_TOKEN: str().optional().secret(),
  S3_PREFIX: str().optional().example("kafka/"),
  S3_FORMAT: oneOf(["cloudevent", "raw"]).default("cloudevent"),
  S3_MAX_OBJECT_BYTES: int({ min: 1024 }).default(16 * 1024 * 1024),
  S3_MAX_OBJECT_RECORDS: int({ min: 1 }).default(100_000),
  S3_REQUEST_TIMEOUT: duration({ min: 100 }).default(60_000),
});

/** The registry. */
export const SINKS: Readonly<Record<SinkName, SinkDefinition>> = {
  stdout: define({ spec: stdoutSinkSpec, create: (config) => createStdoutSink(config) }),
  webhook: define({ spec: webhookSinkSpec, create: (config, deps) => createWebhookSink(config, deps) }),
  postgres: define({ spec: postgresSinkSpec, create: (config, deps) => createPostgresSink(config, deps) }),
  opensearch: define({
    spec: openSearchSinkSpec,
    create: (c, deps) =>
      createOpenSearchSink({
        url: c.OPENSEARCH_URL,
        index: c.OPENSEARCH_INDEX,
        action: c.OPENSEARCH_ACTION,
        username: c.OPENSEARCH_USERNAME,
        password: c.OPENSEARCH_PASSWORD,
        apiKey: c.OPENSEARCH_API_KEY,
        timeoutMs: c.OPENSEARCH_TIMEOUT,
        maxBulkBytes: c.OPENSEARCH_MAX_BULK_BYTES,
        logger: deps.log,
      }),
  }),
  s3: define({
    spec: s3SinkSpec,
    create: (c, deps) =>
      createS3Sink({
        bucket: c.S3_BUCKET,
        region: c.S3_REGION,
        endpoint: c.S3_ENDPOINT,
        forcePathStyle: c.S3_FORCE_PATH_STYLE,
        accessKeyId: c.S3_ACCESS_KEY_ID,
        secretAccessKey: c.S3_SECRET_ACCESS_KEY,
        sessionToken: c.S3_SESSION_TOKEN,
        prefix: c.S3_PREFIX,
        format: c.S3_FORMAT,
        maxObjectBytes: c.S3_MAX_OBJECT_BYTES,
        maxObjectRecords: c.S3_MAX_OBJECT_RECORDS,
        requestTimeoutMs: c.S3_REQUEST_TIMEOUT,
        logger: deps.log,
      }),
  }),
  noop: define({ spec: noopSinkSpec, create: () => createNoopSink() }),
};

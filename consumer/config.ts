/**
 * The worker's settings, parsed once at start-up from env (and CONFIG_FILE): Kafka connection, group,
 * delivery policy, probes, plus the selected sink's own variables. Every problem — in the worker's fields
 * and in the sink's — is reported in one go.
 *
 * @module
 */
import {
  CONFIG_EXIT_CODE,
  ConfigError,
  type ConfigOf,
  type ConfigProblem,
  duration,
  extendConfig,
  int,
  kafkaConfigSpec,
  list,
  oneOf,
  parseConfig,
  parseConfigFile,
  str,
} from "@kafka-edge/lib";
import { compileFilter, compileProjection } from "./core/select.ts";
import { SINK_NAMES, type SinkDefinition, type SinkName, SINKS } from "./sinks/mod.ts";

const fields = {
  KAFKA_CLIENT_ID: str().default("kafka-edge-worker"),
  GROUP_ID: str().example("logger-group").describe(
    "consumer group; workers with the same id share partitions",
  ),
  TOPICS: list().example("logs").describe("topics to consume"),
  SINK: oneOf(SINK_NAMES).default("stdout").describe(`where events go: ${SINK_NAMES.join(", ")}`),
  START_FROM: oneOf(["earliest", "latest"]).default("earliest")
    .describe("where a group without committed offsets starts"),
  BATCH_SIZE: int({ min: 1, max: 10_000 }).default(100).describe("records per sink write"),
  PARTITIONS_CONCURRENTLY: int({ min: 1, max: 256 }).default(1).describe("partitions processed in parallel"),
  COMMIT_INTERVAL: duration({ min: 0, max: 600_000 }).default(1_000)
    .describe("within a fetched batch, commit at most this often (always at its end); 0: after every write"),
  FETCH_MAX_BYTES: int({ min: 1024 }).default(10 * 1024 * 1024).describe("bytes per fetch, all partitions"),
  FETCH_MAX_BYTES_PER_PARTITION: int({ min: 1024 }).default(1024 * 1024),
  FETCH_MAX_WAIT: duration({ min: 10, max: 30_000 }).default(1_000)
    .describe("how long a fetch waits for new data"),
  SESSION_TIMEOUT: duration({ min: 1_000, max: 600_000 }).default(30_000),
  HEARTBEAT_INTERVAL: duration({ min: 100, max: 60_000 }).default(3_000),
  REBALANCE_TIMEOUT: duration({ min: 1_000, max: 600_000 }).default(60_000),
  RETRY_ATTEMPTS: int({ min: 1, max: 100 }).default(5).example("5")
    .describe("write attempts per record before it is dead-lettered"),
  RETRY_INITIAL_BACKOFF: duration({ min: 1, max: 600_000 }).default(200),
  RETRY_MAX_BACKOFF: duration({ min: 1, max: 600_000 }).default(30_000),
  ON_RETRIES_EXHAUSTED: oneOf(["dlq", "pause"]).default("dlq")
    .describe("dlq: dead-letter and move on; pause: keep the partition waiting until the sink recovers"),
  DLQ_TOPIC: str().optional().example("logs.dlq").describe(
    "dead-letter topic; unset: undeliverable records pause",
  ),
  FILTER: str().optional().example("type=user.login").describe(
    "deliver only matching events (core/select.ts)",
  ),
  PROJECTION: str().optional().example("/payload").describe(
    "JSON pointer: deliver only this part of the data",
  ),
  HOST: str().default("0.0.0.0"),
  PORT: int({ min: 0, max: 65535 }).default(8080).example("8080").describe(
    "HTTP port of /healthz /readyz /metrics",
  ),
  HEALTH_STALE_AFTER: duration({ min: 1_000 }).default(60_000)
    .describe("/healthz fails when the consume loop showed no activity for this long"),
  SHUTDOWN_TIMEOUT: duration({ min: 1_000, max: 600_000 }).default(20_000)
    .describe("finish, commit and leave within this; keep below terminationGracePeriodSeconds"),
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"]).default("info"),
};

/** The worker's own spec: Kafka connection settings plus the fields above. */
export const workerConfigSpec = extendConfig(kafkaConfigSpec, fields, [
  {
    uses: ["FILTER", "PROJECTION"],
    run(c) {
      const problems: ConfigProblem[] = [];
      const filter = c.FILTER === undefined ? undefined : compileFilter(c.FILTER);
      if (filter && !filter.ok) {
        problems.push({ variables: ["FILTER"], message: filter.message, fix: "set FILTER=type=user.login" });
      }
      const projection = c.PROJECTION === undefined ? undefined : compileProjection(c.PROJECTION);
      if (projection && !projection.ok) {
        problems.push({
          variables: ["PROJECTION"],
          message: projection.message,
          fix: "set PROJECTION=/payload",
        });
      }
      return problems;
    },
  },
  {
    uses: ["RETRY_INITIAL_BACKOFF", "RETRY_MAX_BACKOFF"],
    run: (c) =>
      c.RETRY_INITIAL_BACKOFF <= c.RETRY_MAX_BACKOFF ? [] : [{
        variables: ["RETRY_INITIAL_BACKOFF", "RETRY_MAX_BACKOFF"],
        message: "RETRY_INITIAL_BACKOFF must not exceed RETRY_MAX_BACKOFF",
        actual: `got ${c.RETRY_INITIAL_BACKOFF} ms > ${c.RETRY_MAX_BACKOFF} ms`,
        fix: "set RETRY_MAX_BACKOFF=30s",
      }],
  },
  {
    uses: ["HEARTBEAT_INTERVAL", "SESSION_TIMEOUT"],
    // Kafka's guidance: a session must survive two lost heartbeats.
    run: (c) =>
      c.HEARTBEAT_INTERVAL * 3 <= c.SESSION_TIMEOUT ? [] : [{
        variables: ["HEARTBEAT_INTERVAL", "SESSION_TIMEOUT"],
        message: "HEARTBEAT_INTERVAL must be at most a third of SESSION_TIMEOUT",
        actual: `got ${c.HEARTBEAT_INTERVAL} ms and ${c.SESSION_TIMEOUT} ms`,
        fix: "set HEARTBEAT_INTERVAL=3s SESSION_TIMEOUT=30s",
      }],
  },
  {
    uses: ["DLQ_TOPIC", "TOPICS"],
    // A worker consuming its own dead letters would retry them forever.
    run: (c) =>
      c.DLQ_TOPIC === undefined || !c.TOPICS.includes(c.DLQ_TOPIC) ? [] : [{
        variables: ["DLQ_TOPIC", "TOPICS"],
        message: "DLQ_TOPIC must not be one of TOPICS",
        actual: `got ${JSON.stringify(c.DLQ_TOPIC)}`,
        fix: `set DLQ_TOPIC=${c.TOPICS[0]}.dlq`,
      }],
  },
]);

/** Parsed worker settings (without the sink's). */
export type WorkerConfig = ConfigOf<typeof workerConfigSpec.fields>;

/** The selected sink with its parsed settings. */
export interface SelectedSink {
  readonly name: SinkName;
  readonly definition: SinkDefinition;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Everything a worker needs to start. */
export interface WorkerSettings {
  readonly worker: WorkerConfig;
  readonly sink: SelectedSink;
}

/** Every variable any part of the worker reads; for "unknown setting" warnings on CONFIG_FILE. */
export function knownVariables(): Set<string> {
  const names = new Set(Object.keys(workerConfigSpec.fields));
  for (const definition of Object.values(SINKS)) {
    for (const name of Object.keys(definition.spec.fields)) names.add(name);
  }
  names.add("CONFIG_FILE");
  return names;
}

/**
 * Parses the worker's and the selected sink's settings together.
 * @throws {ConfigError} with every problem of both.
 */
export function parseWorkerSettings(
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, unknown>> = {},
  fileName?: string,
): WorkerSettings {
  const problems: ConfigProblem[] = [];
  let worker: WorkerConfig | undefined;
  try {
    worker = parseConfig(workerConfigSpec, env, file, { fileName });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  // Even when other fields failed, SINK alone tells which sink's variables to check too.
  const sinkField = workerConfigSpec.fields.SINK;
  const rawSink = env.SINK?.trim() ? env.SINK : file.SINK;
  const parsedSink = rawSink === undefined || rawSink === ""
    ? { ok: true as const, value: "stdout" as const }
    : sinkField.parse(rawSink);
  let sink: SelectedSink | undefined;
  if (parsedSink.ok) {
    const name = parsedSink.value;
    const definition = SINKS[name];
    if (definition.unavailable) {
      problems.push({
        variables: ["SINK"],
        message: `${name} ${definition.unavailable}`,
        fix: `set SINK=${SINK_NAMES.filter((n) => !SINKS[n].unavailable).join(" or ")}`,
      });
    } else {
      try {
        sink = { name, definition, config: parseConfig(definition.spec, env, file, { fileName }) };
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
      }
    }
  }
  if (problems.length > 0 || !worker || !sink) throw new ConfigError(problems);
  return { worker, sink };
}

/** Options for {@link loadWorkerSettings}. */
export interface LoadOptions {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
  readonly exit?: (code: number) => never;
}

/** Reads env and CONFIG_FILE; on any problem prints them all and exits with 78 (EX_CONFIG). */
export function loadWorkerSettings(options: LoadOptions = {}): WorkerSettings {
  const env = options.env ?? Deno.env.toObject();
  const log = options.log ?? ((line: string) => console.error(line));
  const exit = options.exit ?? Deno.exit;
  const path = env.CONFIG_FILE?.trim();
  let file: Record<string, unknown> = {};
  const fileProblems: ConfigProblem[] = [];
  if (path) {
    try {
      file = parseConfigFile(Deno.readTextFileSync(path));
    } catch (err) {
      fileProblems.push({
        variables: ["CONFIG_FILE"],
        message: "must name a readable YAML or JSON file",
        actual: `got ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`,
        fix: "set CONFIG_FILE=/etc/kafka-edge/worker.yaml or unset it",
      });
    }
  }
  const known = knownVariables();
  for (const key of Object.keys(file)) {
    if (!known.has(key)) log(`warning: ${path} sets ${key}, which is not a known setting; ignoring it`);
  }
  try {
    const settings = parseWorkerSettings(env, file, path);
    if (fileProblems.length === 0) return settings;
    throw new ConfigError(fileProblems);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const all = fileProblems.length > 0 && !err.problems.includes(fileProblems[0])
      ? new ConfigError([...fileProblems, ...err.problems])
      : err;
    log(all.message);
    exit(CONFIG_EXIT_CODE);
    throw all;
  }
}

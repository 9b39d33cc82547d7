/**
 * Assembles the gateway from its settings: topics, schemas, auth, rate limits, the Kafka adapters, the
 * batcher and the HTTP app. Every start-up problem (bad topics file, schema, key file, JWT setup) is
 * collected into one ConfigError, so an operator fixes them all in one go.
 */
import type { Kafka } from "kafkajs";
import {
  type Clock,
  ConfigError,
  type ConfigProblem,
  createKafka,
  type Logger,
  parseConfigFile,
  systemClock,
} from "@kafka-edge/lib";
import { type AppDeps, createApp, type RateDecision } from "./app.ts";
import { createKafkajsCluster } from "./adapters/kafkajs_cluster.ts";
import { createKafkajsSender } from "./adapters/kafkajs_sender.ts";
import { createPlatformaticSender } from "./adapters/platformatic_sender.ts";
import type { ClusterView, PartitionSender } from "./core/ports.ts";
import {
  authorizeTopic,
  createApiKeyAuthenticator,
  createAuthChain,
  createJwtAuthenticator,
  createNoAuthenticator,
  type JwtKeySource,
  parseApiKeyFile,
  parseTopicMap,
} from "./core/auth/mod.ts";
import { type Batcher, createBatcher } from "./core/batcher.ts";
import { createByteBudget } from "./core/budget.ts";
import { selectDecoder } from "./core/content/mod.ts";
import { uuidv7 } from "./core/ids.ts";
import { createRateLimiter, rateLimitKey } from "./core/rate_limit.ts";
import type { Authenticator, DecodeResult, TopicConfig } from "./core/types.ts";
import { compileTopics, validateEvents } from "./core/validate.ts";
import type { ProducerConfig } from "./config.ts";
import { createProducerMetrics, type ProducerMetrics } from "./metrics.ts";
import { loadTopics, type ReadText } from "./topics.ts";

/** The Kafka side of the gateway: the two ports plus their lifecycles. */
export interface KafkaSide {
  readonly sender: PartitionSender & { connect(): Promise<void>; disconnect(): Promise<void> };
  readonly cluster: ClusterView & { start(): Promise<void>; stop(): Promise<void> };
}

/** Injectable pieces; production passes only `log`. */
export interface GatewayDeps {
  readonly log: Logger;
  /** Replaces the kafkajs adapters (tests, or another client library). */
  readonly kafkaSide?: KafkaSide;
  readonly kafka?: Kafka;
  readonly readText?: ReadText;
  readonly clock?: Clock;
}

/** A wired gateway; `main.ts` serves `app.fetch` and runs the lifecycle. */
export interface Gateway {
  readonly app: ReturnType<typeof createApp>;
  readonly batcher: Batcher;
  readonly cluster: KafkaSide["cluster"];
  readonly metrics: ProducerMetrics;
  /** Connects the producer and fetches metadata once (the gateway still starts if Kafka is down). */
  start(): Promise<void>;
  /** readyz turns false and new produce requests get 503. */
  beginDrain(): void;
  /** Sends what is queued now and waits for in-flight sends. */
  drain(): Promise<void>;
  /** Disconnects from Kafka. */
  close(): Promise<void>;
}

function fileProblem(variable: string, problems: readonly string[]): ConfigProblem[] {
  return problems.map((p) => ({ variables: [variable], message: p }));
}

function errorLines(err: unknown): string[] {
  const e = err as { problems?: unknown; message?: string };
  if (Array.isArray(e?.problems)) return e.problems.map(String);
  return [e?.message ?? String(err)];
}

function buildAuth(cfg: ProducerConfig, readText: ReadText, log: Logger, problems: ConfigProblem[]) {
  const authenticators: Authenticator[] = [];
  const rate = { perSecond: cfg.RATE_LIMIT_PER_SECOND, burst: cfg.RATE_LIMIT_BURST };
  for (const method of cfg.AUTH_METHODS) {
    try {
      if (method === "none") {
        log.warn("AUTHENTICATION IS OFF: every client may write to every configured topic (DEV_MODE)");
        authenticators.push(createNoAuthenticator({ rate }));
      } else if (method === "api-key") {
        const entries = parseApiKeyFile(parseConfigFile(readText(cfg.API_KEYS_FILE!)), cfg.API_KEYS_FILE);
        authenticators.push(createApiKeyAuthenticator(entries));
      } else if (method === "jwt") {
        const keys: JwtKeySource = cfg.JWT_HS_SECRET !== undefined
          ? { kind: "secret", secret: cfg.JWT_HS_SECRET }
          : cfg.JWT_JWKS_URL !== undefined
          ? { kind: "jwks-url", url: cfg.JWT_JWKS_URL }
          : { kind: "jwks", jwks: JSON.parse(readText(cfg.JWT_JWKS_FILE!)) };
        authenticators.push(createJwtAuthenticator({
          keys,
          issuer: cfg.JWT_ISSUER!,
          audience: cfg.JWT_AUDIENCE!,
          algorithms: cfg.JWT_ALGORITHMS,
          clockToleranceSeconds: cfg.JWT_CLOCK_TOLERANCE / 1000,
          topicsClaim: cfg.JWT_TOPICS_CLAIM,
          topicMap: cfg.JWT_TOPIC_MAP_FILE === undefined
            ? undefined
            : parseTopicMap(parseConfigFile(readText(cfg.JWT_TOPIC_MAP_FILE)), cfg.JWT_TOPIC_MAP_FILE),
        }));
      }
    } catch (err) {
      const variable = method === "api-key" ? "API_KEYS_FILE" : "JWT_JWKS_FILE";
      problems.push(...fileProblem(variable, errorLines(err)));
    }
  }
  return authenticators;
}

function kafkajsSide(
  cfg: ProducerConfig,
  topics: string[],
  given: Kafka | undefined,
  log: Logger,
): KafkaSide {
  const kafka = given ?? createKafka(cfg, log.child({ component: "kafkajs" }));
  return {
    sender: cfg.KAFKA_CLIENT === "platformatic"
      ? createPlatformaticSender(cfg, log, { sendTimeoutMs: cfg.SEND_TIMEOUT })
      : createKafkajsSender(kafka, log),
    cluster: createKafkajsCluster(kafka, {
      topics,
      refreshMs: cfg.METADATA_REFRESH,
      staleAfterMs: cfg.METADATA_STALE_AFTER,
    }, log),
  };
}

/**
 * Builds the gateway.
 * @throws {ConfigError} with every problem of the topics, schemas and auth files.
 */
export function createGateway(cfg: ProducerConfig, deps: GatewayDeps): Gateway {
  const { log } = deps;
  const readText = deps.readText ?? Deno.readTextFileSync;
  const clock = deps.clock ?? systemClock;
  const problems: ConfigProblem[] = [];

  let topics = new Map<string, TopicConfig>();
  try {
    topics = loadTopics(cfg.TOPICS, cfg.TOPICS_FILE, readText);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  const compiled = compileTopics([...topics.values()]);
  if (!compiled.ok) problems.push(...fileProblem("TOPICS_FILE", compiled.errors));
  const authenticators = buildAuth(cfg, readText, log, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const authenticate = createAuthChain(authenticators);
  const validators = compiled.ok ? compiled.validators : new Map();

  const { sender, cluster } = deps.kafkaSide ?? kafkajsSide(cfg, [...topics.keys()], deps.kafka, log);
  const budget = createByteBudget(cfg.BUFFER_BYTES);
  const metrics = createProducerMetrics(() => budget.inUse, budget.capacity);
  const batcher = createBatcher({
    sender,
    cluster,
    budget,
    clock,
    lingerMs: cfg.LINGER,
    maxBatchBytes: cfg.MAX_BATCH_BYTES,
    sendTimeoutMs: cfg.SEND_TIMEOUT,
    stallAfterMs: cfg.SEND_STALL_AFTER,
    observer: {
      sent(_topic, _partition, records, bytes) {
        metrics.batchRecords.observe(records);
        metrics.batchBytes.observe(bytes);
      },
    },
  });
  const limiter = createRateLimiter({
    clock,
    defaultRate: { perSecond: cfg.RATE_LIMIT_PER_SECOND, burst: cfg.RATE_LIMIT_BURST },
  });
  const limits = {
    maxEvents: cfg.MAX_EVENTS,
    maxDepth: cfg.MAX_JSON_DEPTH,
    maxEventBytes: cfg.MAX_EVENT_BYTES,
  };
  let draining = false;

  const appDeps: AppDeps = {
    topics,
    limits: {
      maxBodyBytes: cfg.MAX_BODY_BYTES,
      requestTimeoutMs: cfg.REQUEST_TIMEOUT,
      retryAfterBusy: cfg.RETRY_AFTER_BUSY,
      retryAfterUnavailable: cfg.RETRY_AFTER_UNAVAILABLE,
    },
    decode(topic, body, headers): DecodeResult {
      const selected = selectDecoder(headers);
      if (!selected.ok) return selected;
      return selected.decoder.decode(body, {
        topic,
        headers,
        limits,
        now: new Date(clock.now()),
        newId: () => uuidv7(clock.now()),
      });
    },
    validate(topic, events) {
      const validator = validators.get(topic);
      return validator ? validateEvents(validator, events) : undefined;
    },
    authenticate,
    authorize: (principal, topic) => authorizeTopic(principal, topic).ok,
    rateLimit(principal, cost, rate): RateDecision {
      const r = limiter.take(rateLimitKey(principal), cost, rate);
      if (r.ok) return { ok: true };
      if (r.reason === "exceeds_burst") return { ok: false, retryAfterSeconds: 1, never: true };
      return { ok: false, retryAfterSeconds: r.retryAfterSeconds };
    },
    batcher,
    cluster,
    metrics,
    log,
    clock,
    corsOrigins: cfg.CORS_ORIGINS,
    isDraining: () => draining,
  };
  const app = createApp(appDeps);

  return {
    app,
    batcher,
    cluster,
    metrics,
    async start() {
      try {
        await sender.connect();
      } catch (err) {
        // kafkajs reconnects on the next send; readiness stays false until metadata arrives.
        log.warn("kafka producer could not connect yet", { error: err });
      }
      await cluster.start();
    },
    beginDrain() {
      draining = true;
    },
    drain: () => batcher.drain(),
    async close() {
      await cluster.stop();
      await sender.disconnect().catch((err) => log.warn("producer disconnect failed", { error: err }));
    },
  };
}

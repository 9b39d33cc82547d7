/**
 * Assembles a worker from its settings: sink, dead-letter producer, consume loop, health and metrics.
 * main.ts only wires this to the process (HTTP server, signals).
 *
 * @module
 */
import type { Kafka } from "kafkajs";
import { createKafka, type Logger } from "@kafka-edge/lib";
import { createDeadLetterProducer, type DeadLetterProducer } from "./adapters/kafkajs_dead_letter.ts";
import { createRuntime, type Runtime } from "./adapters/kafkajs_runtime.ts";
import type { RetryPolicy } from "./core/backoff.ts";
import { createHealth, type Health } from "./core/health.ts";
import { compileFilter, compileProjection } from "./core/select.ts";
import type { Sink } from "./core/sink.ts";
import type { WorkerSettings } from "./config.ts";
import { createHttpHandler } from "./http.ts";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics.ts";

/** Injectable pieces; production passes `log` and `onFatal`. */
export interface WorkerDeps {
  readonly log: Logger;
  readonly onFatal: (reason: string) => void;
  readonly kafka?: Kafka;
  /** Replaces the sink the settings select (tests). */
  readonly sink?: Sink;
  readonly now?: () => number;
}

/** A wired worker. */
export interface Worker {
  readonly health: Health;
  readonly metrics: WorkerMetrics;
  readonly handler: (request: Request) => Promise<Response>;
  /** Starts the sink, checks the topics, connects the DLQ producer, joins the group. */
  start(): Promise<void>;
  /** Finishes in-flight work, commits, leaves the group, closes the sink. */
  stop(): Promise<void>;
}

function compiled<T>(
  result: { ok: true; value: T } | { ok: false; message: string } | undefined,
): T | undefined {
  if (result === undefined) return undefined;
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

async function assertTopicsExist(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new Error(`topics do not exist: ${missing.join(", ")} (create them first)`);
  } finally {
    await admin.disconnect();
  }
}

/** Builds a worker; nothing connects before start(). */
export function createWorker(settings: WorkerSettings, deps: WorkerDeps): Worker {
  const cfg = settings.worker;
  const log = deps.log;
  const now = deps.now ?? Date.now;
  const kafka = deps.kafka ?? createKafka(cfg, log);
  const sink = deps.sink ?? settings.sink.definition.create(settings.sink.config, { log, now });
  const dlq: DeadLetterProducer | undefined = cfg.DLQ_TOPIC === undefined
    ? undefined
    : createDeadLetterProducer(kafka, cfg.DLQ_TOPIC);
  const health = createHealth(now, cfg.HEALTH_STALE_AFTER);
  const metrics = createWorkerMetrics();
  const retry: RetryPolicy = {
    attempts: cfg.RETRY_ATTEMPTS,
    initialBackoffMs: cfg.RETRY_INITIAL_BACKOFF,
    maxBackoffMs: cfg.RETRY_MAX_BACKOFF,
  };
  const runtime: Runtime = createRuntime({
    groupId: cfg.GROUP_ID,
    topics: cfg.TOPICS,
    fromBeginning: cfg.START_FROM === "earliest",
    batchSize: cfg.BATCH_SIZE,
    commitIntervalMs: cfg.COMMIT_INTERVAL,
    partitionsConcurrently: cfg.PARTITIONS_CONCURRENTLY,
    sessionTimeoutMs: cfg.SESSION_TIMEOUT,
    heartbeatIntervalMs: cfg.HEARTBEAT_INTERVAL,
    rebalanceTimeoutMs: cfg.REBALANCE_TIMEOUT,
    maxBytes: cfg.FETCH_MAX_BYTES,
    maxBytesPerPartition: cfg.FETCH_MAX_BYTES_PER_PARTITION,
    maxWaitTimeMs: cfg.FETCH_MAX_WAIT,
    shutdownTimeoutMs: cfg.SHUTDOWN_TIMEOUT,
    retry,
  }, {
    kafka,
    health,
    metrics,
    log,
    onFatal: deps.onFatal,
    processor: {
      sink,
      deadLetter: dlq ? (records) => dlq.send(records) : undefined,
      now,
      random: Math.random,
      group: cfg.GROUP_ID,
      selection: {
        filter: compiled(cfg.FILTER === undefined ? undefined : compileFilter(cfg.FILTER)),
        projection: compiled(cfg.PROJECTION === undefined ? undefined : compileProjection(cfg.PROJECTION)),
      },
      retry,
      onExhausted: cfg.ON_RETRIES_EXHAUSTED,
    },
  });
  let sinkStarted = false;
  let dlqConnected = false;

  return {
    health,
    metrics,
    handler: createHttpHandler(health, metrics.metrics.registry),
    async start() {
      await sink.start();
      sinkStarted = true;
      await assertTopicsExist(
        kafka,
        cfg.DLQ_TOPIC === undefined ? cfg.TOPICS : [...cfg.TOPICS, cfg.DLQ_TOPIC],
      );
      if (dlq) {
        await dlq.connect();
        dlqConnected = true;
      } else {
        log.warn("DLQ_TOPIC is not set: an undeliverable record pauses its partition until fixed");
      }
      await runtime.start();
      log.info("consuming", { groupId: cfg.GROUP_ID, topics: cfg.TOPICS, sink: sink.name });
    },
    async stop() {
      const problems: unknown[] = [];
      const attempt = async (what: string, fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          problems.push(err);
          log.error(`${what} failed`, { err });
        }
      };
      await attempt("leaving the group", () => runtime.stop());
      if (dlqConnected) await attempt("disconnecting the DLQ producer", () => dlq!.disconnect());
      if (sinkStarted) await attempt("closing the sink", () => sink.close());
      if (problems.length > 0) throw new AggregateError(problems, "worker did not stop cleanly");
    },
  };
}

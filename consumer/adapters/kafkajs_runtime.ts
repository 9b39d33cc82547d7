/**
 * The consume loop on kafkajs: one consumer in the group, eachBatch with autoCommit off, and the rules that
 * keep delivery at-least-once without ever throwing into kafkajs (a throw makes kafkajs restart the consumer
 * and rebalance the whole group).
 *
 * How retries, heartbeats, pausing and commits interact:
 * - A batch (one partition's fetch) is cut into chunks of BATCH_SIZE; each chunk goes through
 *   core/processor.ts (write, retry with backoff + jitter, dead-letter) and then its settled prefix is
 *   resolved. The resolved offset is committed explicitly when the batch ends (done, stopped or blocked)
 *   and, within a long batch, at most every COMMIT_INTERVAL: in kafkajs every commit is an OffsetCommit
 *   round trip, and one per chunk cost a third of the throughput at BATCH_SIZE 100. Nothing is committed
 *   that the sink or the DLQ did not acknowledge; a crash re-delivers at most one fetch per partition.
 * - While a batch is in progress a ticker calls kafkajs' heartbeat() every HEARTBEAT_INTERVAL, so slow writes
 *   and retry waits never cost the group membership. When heartbeat reports a rebalance, the batch stops
 *   starting new attempts, commits what is settled and returns, letting kafkajs rejoin promptly.
 * - The next fetch overlaps the current batch (see eachBatch): a batch is resolved as a whole when handed
 *   over, which only moves kafkajs' fetch position; commits name their offsets explicitly.
 * - Records that can be neither delivered nor dead-lettered (DLQ down or unset, or ON_RETRIES_EXHAUSTED=pause)
 *   block their partition: it is paused, its fetch position moves back to the first unsettled offset
 *   (the batch fetched past it meanwhile is dropped), and a timer resumes it after a growing backoff.
 *   Other partitions keep flowing.
 * - Backpressure: each partition has at most one batch in progress and one waiting for it, and kafkajs
 *   fetches again only once every handler of its last fetch returned, so memory is bounded by about twice
 *   FETCH_MAX_BYTES and a slow sink simply slows (or, when blocked, pauses) fetching.
 * - Shutdown: stop() pauses fetching and makes every batch finish its in-flight write, commit and return
 *   before the consumer leaves the group; in-flight writes are aborted at 75% of the shutdown budget so the
 *   commit and the LeaveGroup still fit inside it.
 *
 * @module
 */
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import type { Logger } from "@kafka-edge/lib";
import { backoffDelay, type RetryPolicy } from "../core/backoff.ts";
import type { Health } from "../core/health.ts";
import { type ChunkResult, processChunk, type ProcessorDeps } from "../core/processor.ts";
import { eventTimeMs } from "../core/prepare.ts";
import type { ConsumedRecord } from "../core/types.ts";
import type { WorkerMetrics } from "../metrics.ts";

/** Consumer settings the runtime needs (a subset of the worker config). */
export interface RuntimeSettings {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  readonly batchSize: number;
  /** Commit within a batch at most this often; 0 commits after every chunk. */
  readonly commitIntervalMs: number;
  readonly partitionsConcurrently: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxBytes: number;
  readonly maxBytesPerPartition: number;
  readonly maxWaitTimeMs: number;
  readonly shutdownTimeoutMs: number;
  /** Backoff for resuming blocked partitions. */
  readonly retry: RetryPolicy;
}

/** Collaborators of the runtime. */
export interface RuntimeDeps {
  readonly kafka: Kafka;
  readonly processor: Omit<ProcessorDeps, "sleep">;
  readonly health: Health;
  readonly metrics: WorkerMetrics;
  readonly log: Logger;
  /** Called when kafkajs gave up for good; the process should exit non-zero so it is restarted. */
  readonly onFatal: (reason: string) => void;
}

/** A running consumer. */
export interface Runtime {
  start(): Promise<void>;
  /** Finishes in-flight writes, commits, leaves the group and disconnects. Safe to call before start. */
  stop(): Promise<void>;
}

/** Waits `ms` or until `signal` aborts, whichever comes first. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function toConsumed(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key ?? null,
    value: m.value ?? null,
    headers: m.headers ?? {},
  };
}

/** Creates the runtime; nothing connects before start(). */
export function createRuntime(settings: RuntimeSettings, deps: RuntimeDeps): Runtime {
  const { kafka, health, metrics, log } = deps;
  const draining = new AbortController();
  const writesAbort = new AbortController();
  const resumeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const blockStreaks = new Map<string, number>();
  /** Per partition ("topic|partition"): the processing of the last batch handed over (see eachBatch). */
  const lanes = new Map<string, Promise<void>>();
  /** topic\u0000partition of every partition_lag series this worker has set. */
  const lagSeries = new Set<string>();
  let consumer: Consumer | undefined;
  let stopping: Promise<void> | undefined;
  const processor: ProcessorDeps = { ...deps.processor, sleep: abortableSleep };

  function record(topic: string, result: ChunkResult, startedMs: number): void {
    const now = deps.processor.now();
    metrics.batchDuration.observe({ topic }, (now - startedMs) / 1000);
    metrics.processed.inc({ topic }, result.delivered.length);
    // One label lookup per chunk, not per record: prom-client hashes the labels object on every call.
    const endToEnd = metrics.endToEnd.labels({ topic });
    for (const r of result.delivered) {
      const lag = now - eventTimeMs(r);
      if (lag >= 0) endToEnd.observe(lag / 1000);
    }
    if (result.skipped.filtered) metrics.skipped.inc({ topic, reason: "filtered" }, result.skipped.filtered);
    if (result.skipped.tombstone) {
      metrics.skipped.inc({ topic, reason: "tombstone" }, result.skipped.tombstone);
    }
    if (result.failedAttempts.transient) {
      metrics.failed.inc({ topic, kind: "transient" }, result.failedAttempts.transient);
    }
    if (result.failedAttempts.permanent) {
      metrics.failed.inc({ topic, kind: "permanent" }, result.failedAttempts.permanent);
    }
    if (result.deadLettered) {
      metrics.deadLettered.inc({ topic }, result.deadLettered);
      log.warn("records dead-lettered", {
        topic,
        count: result.deadLettered,
        lastFailure: result.lastFailure,
      });
    }
  }

  function block(topic: string, partition: number, reason: string): void {
    const key = `${topic}|${partition}`;
    const streak = (blockStreaks.get(key) ?? 0) + 1;
    blockStreaks.set(key, streak);
    const retryInMs = Math.max(
      settings.retry.initialBackoffMs,
      backoffDelay(streak, settings.retry, Math.random),
    );
    metrics.blocks.inc({ topic });
    log.error("partition paused: records can be neither delivered nor dead-lettered; retrying later", {
      topic,
      partition,
      reason,
      retryInMs,
      consecutive: streak,
    });
    if (draining.signal.aborted || !consumer) return;
    consumer.pause([{ topic, partitions: [partition] }]);
    clearTimeout(resumeTimers.get(key));
    metrics.paused.set(resumeTimers.size + (resumeTimers.has(key) ? 0 : 1));
    resumeTimers.set(
      key,
      setTimeout(() => {
        resumeTimers.delete(key);
        metrics.paused.set(resumeTimers.size);
        consumer?.resume([{ topic, partitions: [partition] }]);
      }, retryInMs),
    );
  }

  /**
   * Processes one batch (one partition's share of a fetch) in chunks; commits what settled; when it ends
   * with records unsettled (stopping, revoked, blocked), moves the partition's fetch position back to the
   * first of them.
   */
  async function processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    const stop = new AbortController();
    const onDrain = () => stop.abort(draining.signal.reason);
    draining.signal.addEventListener("abort", onDrain, { once: true });
    if (draining.signal.aborted) stop.abort();
    const ticker = setInterval(async () => {
      if (!isRunning() || isStale()) stop.abort(new Error("partition revoked or consumer stopping"));
      try {
        await heartbeat();
        health.alive();
      } catch (err) {
        // Usually REBALANCE_IN_PROGRESS: finish up so kafkajs can rejoin; the next owner re-reads the rest.
        stop.abort(err);
      }
    }, settings.heartbeatIntervalMs);
    // The first record not settled yet.
    let next = batch.messages[0].offset;
    // The offset after the last settled record, not yet committed.
    let uncommitted: string | undefined;
    let lastCommitMs = deps.processor.now();
    const high = BigInt(batch.highWatermark);
    async function commit(): Promise<boolean> {
      if (uncommitted === undefined) return true;
      const offset = uncommitted;
      try {
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
        if (uncommitted === offset) uncommitted = undefined;
        lastCommitMs = deps.processor.now();
        setLag(topic, partition, Number(high - BigInt(offset)));
        return true;
      } catch (err) {
        // The records are delivered; without the commit they are delivered again later (at-least-once).
        if (uncommitted === offset) uncommitted = undefined; // the next owner or fetch re-reads them
        metrics.commitFailures.inc({ topic });
        log.warn("offset commit failed; records will be re-delivered", { topic, partition, offset, err });
        return false;
      }
    }
    try {
      metrics.consumed.inc({ topic }, batch.messages.length);
      setLag(topic, partition, Number(high - BigInt(next)));
      for (let start = 0; start < batch.messages.length; start += settings.batchSize) {
        if (stop.signal.aborted || !isRunning() || isStale()) break;
        const chunk = batch.messages.slice(start, start + settings.batchSize).map((m) =>
          toConsumed(topic, partition, m)
        );
        const startedMs = deps.processor.now();
        const result = await processChunk(chunk, processor, { stop: stop.signal, abort: writesAbort.signal });
        record(topic, result, startedMs);
        if (result.settled > 0) {
          next = uncommitted = (BigInt(chunk[result.settled - 1].offset) + 1n).toString();
          if (deps.processor.now() - lastCommitMs >= settings.commitIntervalMs && !await commit()) break;
        }
        if (result.blocked !== undefined) {
          block(topic, partition, result.blocked);
          break;
        }
        if (result.settled < chunk.length) break;
        blockStreaks.delete(`${topic}|${partition}`);
      }
      await commit();
    } catch (err) {
      // Never throw into kafkajs: pause this partition and retry it later instead.
      block(topic, partition, `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearInterval(ticker);
      draining.signal.removeEventListener("abort", onDrain);
      // The fetch position is past this batch already; fetch the unsettled records again. (A no-op for a
      // partition no longer assigned: its next owner starts from the committed offset.)
      if (BigInt(next) <= BigInt(batch.lastOffset())) seekBack(topic, partition, next);
    }
  }

  function seekBack(topic: string, partition: number, offset: string): void {
    try {
      consumer?.seek({ topic, partition, offset });
    } catch (err) {
      // Only when the consumer stopped: the records were not committed, the next start reads them again.
      log.warn("could not move the fetch position back", { topic, partition, offset, err });
    }
  }

  /**
   * kafkajs fetches from a broker again only once every batch of its last fetch was handled, and from the
   * resolved offset. So the handler resolves the whole batch at once and hands it to its partition's lane,
   * where it runs after the partition's previous batch; it returns when that previous batch is done. The
   * next fetch (and the decoding of its response) then overlaps this batch's writes instead of following
   * them: without this the worker waited for each fetch with nothing to do. Commits stay explicit and
   * cover only settled records; a batch that ends early moves the fetch position back (processBatch), and
   * the batch fetched past it meanwhile is dropped here as stale. At most two batches per partition are in
   * memory: the one in progress and the one waiting for it.
   */
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    health.alive();
    if (batch.isEmpty()) return;
    const key = `${batch.topic}|${batch.partition}`;
    const previous = lanes.get(key);
    const current = (async () => {
      if (previous) await previous;
      if (payload.isStale() || !payload.isRunning()) return;
      await processBatch(payload);
    })().catch((err) => {
      // processBatch handles its own failures; this only keeps a lane from ever rejecting into kafkajs.
      log.error("batch ended unexpectedly", { topic: batch.topic, partition: batch.partition, err });
    });
    lanes.set(key, current);
    void current.finally(() => {
      if (lanes.get(key) === current) lanes.delete(key);
    });
    payload.resolveOffset(batch.lastOffset());
    if (previous) await previous;
  }

  function setLag(topic: string, partition: number, lag: number): void {
    lagSeries.add(`${topic}\u0000${partition}`);
    metrics.lag.set({ topic, partition: String(partition) }, lag);
  }

  function subscribeEvents(c: Consumer): void {
    c.on(c.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment as Record<string, number[]>;
      const count = Object.values(assignment).reduce((n, ps) => n + ps.length, 0);
      metrics.rebalances.inc();
      metrics.assigned.set(count);
      // A rejoin keeps the lag of partitions still owned (a quiet partition would otherwise show no lag
      // until its next record) and drops only those handed to another member.
      const owned = new Set(
        Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}\u0000${p}`)),
      );
      for (const key of lagSeries) {
        if (owned.has(key)) continue;
        const [t, p] = key.split("\u0000");
        metrics.lag.remove({ topic: t, partition: p });
        lagSeries.delete(key);
      }
      health.joined(count);
      log.info("joined group", { groupId: settings.groupId, memberId: e.payload.memberId, assignment });
    });
    c.on(c.events.REBALANCING, () => health.rebalancing());
    c.on(c.events.HEARTBEAT, () => health.alive());
    c.on(c.events.FETCH, () => health.alive());
    c.on(c.events.CRASH, (e) => {
      const { error, restart } = e.payload as { error: Error; restart: boolean };
      log.error("consumer crashed", { err: error, willRestart: restart });
      if (!restart && !draining.signal.aborted) {
        health.failed(error.message);
        deps.onFatal(`consumer crashed: ${error.message}`);
      }
    });
  }

  return {
    async start() {
      const c = kafka.consumer({
        groupId: settings.groupId,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: settings.heartbeatIntervalMs,
        rebalanceTimeout: settings.rebalanceTimeoutMs,
        maxBytes: settings.maxBytes,
        maxBytesPerPartition: settings.maxBytesPerPartition,
        maxWaitTimeInMs: settings.maxWaitTimeMs,
        allowAutoTopicCreation: false,
      });
      consumer = c;
      subscribeEvents(c);
      await c.connect();
      await c.subscribe({ topics: [...settings.topics], fromBeginning: settings.fromBeginning });
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: settings.partitionsConcurrently,
        eachBatch,
      });
    },
    stop() {
      stopping ??= (async () => {
        health.stopping();
        draining.abort(new Error("shutting down"));
        for (const timer of resumeTimers.values()) clearTimeout(timer);
        resumeTimers.clear();
        const cutOff = setTimeout(
          () => writesAbort.abort(new Error("shutdown deadline")),
          Math.floor(settings.shutdownTimeoutMs * 0.75),
        );
        try {
          // Batches outlive their eachBatch call: let them finish their write and commit while the
          // consumer is still in the group, with nothing new fetched meanwhile.
          try {
            consumer?.pause(settings.topics.map((topic) => ({ topic })));
          } catch { /* not running yet: nothing in flight */ }
          while (lanes.size > 0) await Promise.allSettled([...lanes.values()]);
          // kafkajs waits for in-flight handlers, leaves the group, disconnects.
          await consumer?.disconnect();
        } finally {
          clearTimeout(cutOff);
        }
      })();
      return stopping;
    },
  };
}

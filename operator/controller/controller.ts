/**
 * The control loop: a watch on ConsumerAutoscalers feeds keys into the work queue, `concurrency` workers
 * reconcile them while this replica leads, and every reconcile re-queues its key after the CR's poll
 * interval, because lag changes produce no Kubernetes events. Status-only updates (our own writes) do not
 * enqueue: the source reports only spec changes, adds and deletes.
 *
 * @module
 */
import type { Logger } from "@kafka-edge/lib";
import { reconcile, type ReconcileDeps } from "./reconcile.ts";
import type { WorkQueue } from "./work_queue.ts";
import type { OperatorMetrics } from "./metrics.ts";

/** Where autoscaler keys come from (an informer in production). */
export interface AutoscalerSource {
  /** Calls `changed` on add and on spec (generation) change, `deleted` on delete; re-lists after errors. */
  start(handlers: { changed(key: string): void; deleted(key: string): void }): void;
  /** Keys currently known. */
  keys(): readonly string[];
  /** Whether the first list succeeded and the watch is running. */
  synced(): boolean;
  stop(): Promise<void>;
}

/** Options for {@link createController}. */
export interface ControllerOptions {
  readonly deps: ReconcileDeps;
  readonly source: AutoscalerSource;
  readonly queue: WorkQueue;
  readonly concurrency: number;
  readonly log: Logger;
  readonly metrics?: OperatorMetrics;
}

/** A running controller. */
export interface Controller {
  start(): void;
  /** Re-queues every known autoscaler (after winning the lease: the previous leader's timers are gone). */
  resyncAll(): void;
  /** Stops taking keys and waits for in-flight reconciles. */
  stop(): Promise<void>;
}

/** Wires source, queue and workers. */
export function createController(options: ControllerOptions): Controller {
  const { deps, source, queue, log, metrics } = options;
  const workers: Promise<void>[] = [];

  async function work(): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (!deps.isLeader()) {
        // Dropped, not lost: resyncAll() re-queues every key when this replica wins the lease.
        queue.done(key);
        continue;
      }
      const started = performance.now();
      try {
        const result = await reconcile(key, deps);
        metrics?.reconciled(result.outcome, (performance.now() - started) / 1000);
        queue.forget(key);
        if (result.outcome === "gone") {
          queue.drop(key);
          metrics?.forget(key);
        } else if (result.requeueAfterMs !== undefined) {
          queue.addAfter(key, result.requeueAfterMs);
        }
        log.debug("reconciled", { key, ...result, ms: Math.round(performance.now() - started) });
      } catch (err) {
        metrics?.failed((performance.now() - started) / 1000);
        log.warn("reconcile failed; retrying", { key, failures: queue.failures(key) + 1, err });
        queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  }

  return {
    start() {
      source.start({
        changed: (key) => queue.add(key),
        deleted: (key) => queue.add(key),
      });
      for (let i = 0; i < options.concurrency; i++) workers.push(work());
    },
    resyncAll() {
      for (const key of source.keys()) queue.add(key);
    },
    async stop() {
      queue.shutdown();
      await source.stop();
      await Promise.all(workers);
    },
  };
}

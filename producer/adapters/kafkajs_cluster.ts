/**
 * Partition counts and a freshness signal for the configured topics, refreshed in the background with a
 * read-only metadata request. Readiness and fast 503s hang on `healthy()`.
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "@kafka-edge/lib";
import type { ClusterView } from "../core/ports.ts";

/** Options for {@link createKafkajsCluster}. */
export interface ClusterOptions {
  readonly topics: readonly string[];
  readonly refreshMs: number;
  /** Metadata older than this makes the view unhealthy (→ /readyz false, requests 503). */
  readonly staleAfterMs: number;
}

/** A {@link ClusterView} with lifecycle. */
export interface KafkajsCluster extends ClusterView {
  /** First refresh (awaited) then a background timer. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Refresh now; resolves true when metadata was fetched. */
  refresh(): Promise<boolean>;
}

/** Creates the background metadata view. */
export function createKafkajsCluster(kafka: Kafka, opts: ClusterOptions, log: Logger): KafkajsCluster {
  const admin = kafka.admin({ retry: { retries: 0 } });
  const counts = new Map<string, number>();
  let lastOk = 0;
  let connected = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let wasHealthy = false;

  async function refresh(): Promise<boolean> {
    try {
      if (!connected) {
        await admin.connect();
        connected = true;
      }
      // One request per topic: a topic missing from Kafka must not hide the others.
      const results = await Promise.allSettled(
        opts.topics.map((t) => admin.fetchTopicMetadata({ topics: [t] })),
      );
      let any = false;
      results.forEach((r, i) => {
        if (r.status === "fulfilled") {
          any = true;
          counts.set(opts.topics[i], r.value.topics[0].partitions.length);
        } else {
          counts.delete(opts.topics[i]);
          log.warn("no metadata for topic", { topic: opts.topics[i], error: r.reason });
        }
      });
      if (any || opts.topics.length === 0) lastOk = Date.now();
      return any;
    } catch (err) {
      log.warn("kafka metadata refresh failed", { error: err });
      return false;
    } finally {
      const healthy = view.healthy();
      if (healthy !== wasHealthy) log.info(healthy ? "kafka reachable" : "kafka unreachable", { healthy });
      wasHealthy = healthy;
    }
  }

  function loop(): void {
    if (stopped) return;
    timer = setTimeout(async () => {
      await refresh();
      loop();
    }, opts.refreshMs);
  }

  const view: KafkajsCluster = {
    partitions: (topic) => counts.get(topic),
    healthy: () => Date.now() - lastOk < opts.staleAfterMs,
    refresh,
    async start() {
      await refresh();
      loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      if (connected) await admin.disconnect().catch(() => {});
    },
  };
  return view;
}

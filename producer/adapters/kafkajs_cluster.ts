/**
 * Partition counts and a health signal for the configured topics, refreshed in the background with read-only
 * metadata and config requests. Healthy means fresh metadata AND every topic writable with acks=all (each
 * partition led, ISR ≥ min.insync.replicas). Readiness and fast 503s hang on `healthy()`.
 */
import { ConfigResourceTypes, type Kafka } from "kafkajs";
import type { Logger } from "@kafka-edge/lib";
import type { ClusterView } from "../core/ports.ts";
import { unwritableReason } from "../core/writable.ts";

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
  /** min.insync.replicas per topic; read rarely, since topic configs seldom change. */
  const minIsr = new Map<string, number>();
  let refreshes = 0;
  let unwritable: string | undefined;
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
      if (refreshes++ % 15 === 0) await readMinIsr();
      let any = false;
      const problems: string[] = [];
      results.forEach((r, i) => {
        if (r.status === "fulfilled") {
          any = true;
          const { partitions } = r.value.topics[0];
          counts.set(opts.topics[i], partitions.length);
          const reason = unwritableReason(opts.topics[i], partitions, minIsr.get(opts.topics[i]) ?? 1);
          if (reason) problems.push(reason);
        } else {
          counts.delete(opts.topics[i]);
          log.warn("no metadata for topic", { topic: opts.topics[i], error: r.reason });
        }
      });
      if (any || opts.topics.length === 0) lastOk = Date.now();
      const now = problems.length > 0 ? problems.join("; ") : undefined;
      if (now !== unwritable) {
        if (now) log.warn("topics not writable", { reason: now });
        else if (unwritable) log.info("topics writable again");
      }
      unwritable = now;
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

  async function readMinIsr(): Promise<void> {
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: opts.topics.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ["min.insync.replicas"],
        })),
      });
      for (const r of resources) {
        const entry = r.configEntries.find((e) => e.configName === "min.insync.replicas");
        const value = Number(entry?.configValue);
        if (Number.isInteger(value) && value > 0) minIsr.set(r.resourceName, value);
      }
    } catch (err) {
      // Keep the last known values: a config read failing must not make topics look writable or not.
      log.warn("could not read min.insync.replicas", { error: err });
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
    healthy: () => Date.now() - lastOk < opts.staleAfterMs && unwritable === undefined,
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

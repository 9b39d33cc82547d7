/** The worker's Prometheus metrics (prefix `edge_consumer_`). */
import {
  type Counter,
  createMetrics,
  type Gauge,
  type Histogram,
  LATENCY_BUCKETS,
  type Metrics,
} from "@kafka-edge/lib";

/** Handles on every metric the worker records. */
export interface WorkerMetrics {
  readonly metrics: Metrics;
  readonly consumed: Counter<"topic">;
  readonly processed: Counter<"topic">;
  readonly skipped: Counter<"topic" | "reason">;
  readonly failed: Counter<"topic" | "kind">;
  readonly deadLettered: Counter<"topic">;
  readonly batchDuration: Histogram<"topic">;
  readonly endToEnd: Histogram<"topic">;
  readonly lag: Gauge<"topic" | "partition">;
  readonly rebalances: Counter<string>;
  readonly assigned: Gauge<string>;
  readonly paused: Gauge<string>;
  readonly blocks: Counter<"topic">;
  readonly commitFailures: Counter<"topic">;
}

/** Registers the worker metrics on a fresh registry. */
export function createWorkerMetrics(): WorkerMetrics {
  const metrics = createMetrics({ prefix: "edge_consumer" });
  return {
    metrics,
    consumed: metrics.counter({
      name: "records_consumed_total",
      help: "records fetched",
      labelNames: ["topic"],
    }),
    processed: metrics.counter({
      name: "records_processed_total",
      help: "records the sink acknowledged",
      labelNames: ["topic"],
    }),
    skipped: metrics.counter({
      name: "records_skipped_total",
      help: "records settled without the sink (filtered, tombstone)",
      labelNames: ["topic", "reason"],
    }),
    failed: metrics.counter({
      name: "records_failed_total",
      help: "failed write attempts per record, by kind (transient, permanent)",
      labelNames: ["topic", "kind"],
    }),
    deadLettered: metrics.counter({
      name: "records_dead_lettered_total",
      help: "records written to the dead-letter topic",
      labelNames: ["topic"],
    }),
    batchDuration: metrics.histogram({
      name: "batch_duration_seconds",
      help: "time to process one chunk of records, retries included",
      labelNames: ["topic"],
      buckets: [...LATENCY_BUCKETS, 30, 60],
    }),
    endToEnd: metrics.histogram({
      name: "end_to_end_latency_seconds",
      help: "from the event's time (else the Kafka timestamp) to the sink's acknowledgement",
      labelNames: ["topic"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    }),
    lag: metrics.gauge({
      name: "partition_lag",
      help: "records between the last committed offset and the high watermark, as this worker saw it",
      labelNames: ["topic", "partition"],
    }),
    rebalances: metrics.counter({ name: "rebalances_total", help: "group joins after a rebalance" }),
    assigned: metrics.gauge({ name: "assigned_partitions", help: "partitions assigned to this worker" }),
    paused: metrics.gauge({ name: "paused_partitions", help: "partitions paused until a retry" }),
    blocks: metrics.counter({
      name: "partition_blocks_total",
      help: "times a partition was paused because records could neither be delivered nor dead-lettered",
      labelNames: ["topic"],
    }),
    commitFailures: metrics.counter({
      name: "commit_failures_total",
      help: "offset commits that failed (records are re-delivered)",
      labelNames: ["topic"],
    }),
  };
}

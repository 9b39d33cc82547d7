/** The gateway's Prometheus metrics. */
import { createMetrics, LATENCY_BUCKETS, type Metrics } from "@kafka-edge/lib";

/** Handles on every metric the gateway records. */
export interface ProducerMetrics {
  readonly metrics: Metrics;
  readonly requests: ReturnType<Metrics["counter"]>;
  readonly events: ReturnType<Metrics["counter"]>;
  readonly bytes: ReturnType<Metrics["counter"]>;
  readonly ackLatency: ReturnType<Metrics["histogram"]>;
  readonly batchRecords: ReturnType<Metrics["histogram"]>;
  readonly batchBytes: ReturnType<Metrics["histogram"]>;
  readonly produceErrors: ReturnType<Metrics["counter"]>;
}

/** Registers the gateway metrics; `bufferBytes` is sampled at scrape time. */
export function createProducerMetrics(bufferBytes: () => number, bufferCapacity: number): ProducerMetrics {
  const metrics = createMetrics({ prefix: "edge_producer" });
  const buffer = metrics.gauge({
    name: "buffer_bytes_in_use",
    help: "bytes admitted and not yet acknowledged",
  });
  // prom-client calls collect() at scrape time; set() there keeps the gauge exact without a timer.
  Object.assign(buffer, { collect: () => buffer.set(bufferBytes()) });
  metrics.gauge({ name: "buffer_bytes_capacity", help: "in-flight byte budget" }).set(bufferCapacity);
  return {
    metrics,
    requests: metrics.counter({
      name: "http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["route", "status"],
    }),
    events: metrics.counter({
      name: "events_total",
      help: "events by topic and outcome (acked, failed, rejected)",
      labelNames: ["topic", "outcome"],
    }),
    bytes: metrics.counter({
      name: "request_bytes_total",
      help: "request body bytes by topic, as received (a compressed body counts compressed)",
      labelNames: ["topic"],
    }),
    ackLatency: metrics.histogram({
      name: "ack_latency_seconds",
      help: "time from request received to Kafka acknowledgement (sync requests)",
      labelNames: ["route"],
      buckets: LATENCY_BUCKETS,
    }),
    batchRecords: metrics.histogram({
      name: "batch_records",
      help: "records per Kafka send",
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
    }),
    batchBytes: metrics.histogram({
      name: "batch_bytes",
      help: "bytes per Kafka send",
      buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576],
    }),
    produceErrors: metrics.counter({
      name: "produce_errors_total",
      help: "failed Kafka sends by error code",
      labelNames: ["code"],
    }),
  };
}

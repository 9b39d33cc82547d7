/** The operator's Prometheus metrics, and the reconcile hooks that feed them. */
import { createMetrics, LATENCY_BUCKETS, type Metrics } from "@kafka-edge/lib";
import type { ReconcileOutcome } from "./reconcile.ts";
import type { ReconcileHooks } from "./ports.ts";

/** Metric handles used by the controller. */
export interface OperatorMetrics {
  readonly metrics: Metrics;
  readonly hooks: ReconcileHooks;
  reconciled(outcome: ReconcileOutcome, seconds: number): void;
  failed(seconds: number): void;
  leading(value: boolean): void;
  forget(key: string): void;
}

/** Creates the registry (prefix `edge_operator_`) and its metrics. */
export function createOperatorMetrics(): OperatorMetrics {
  const metrics = createMetrics({ prefix: "edge_operator" });
  const reconciles = metrics.counter<"outcome">({
    name: "reconciles_total",
    help: "Reconciles by outcome",
    labelNames: ["outcome"],
  });
  const errors = metrics.counter({ name: "reconcile_errors_total", help: "Reconciles that threw (retried)" });
  const duration = metrics.histogram({
    name: "reconcile_duration_seconds",
    help: "Time of one reconcile including the lag read",
    buckets: LATENCY_BUCKETS,
  });
  const writes = metrics.counter<"autoscaler" | "direction">({
    name: "scale_writes_total",
    help: "Writes to a Deployment's scale subresource",
    labelNames: ["autoscaler", "direction"],
  });
  const lagErrors = metrics.counter<"autoscaler">({
    name: "lag_read_errors_total",
    help: "Failed lag reads (replicas kept)",
    labelNames: ["autoscaler"],
  });
  const lag = metrics.gauge<"autoscaler">({
    name: "lag_events",
    help: "Total lag of the group",
    labelNames: ["autoscaler"],
  });
  const timeLag = metrics.gauge<"autoscaler">({
    name: "time_lag_seconds",
    help: "Estimated age of the oldest unconsumed event",
    labelNames: ["autoscaler"],
  });
  const desired = metrics.gauge<"autoscaler">({
    name: "desired_replicas",
    help: "Replicas the decision wants",
    labelNames: ["autoscaler"],
  });
  const leader = metrics.gauge({ name: "leader", help: "1 while this replica holds the lease" });
  return {
    metrics,
    hooks: {
      onLag(key, observation, decision) {
        desired.set({ autoscaler: key }, decision.desired);
        if (!observation) return;
        lag.set({ autoscaler: key }, observation.totalLag);
        timeLag.set({ autoscaler: key }, observation.timeLagSeconds);
      },
      onScaleWrite(key, from, to) {
        writes.inc({ autoscaler: key, direction: to > from ? "up" : "down" });
      },
      onLagError: (key) => lagErrors.inc({ autoscaler: key }),
    },
    reconciled(outcome, seconds) {
      reconciles.inc({ outcome });
      duration.observe(seconds);
    },
    failed(seconds) {
      errors.inc();
      duration.observe(seconds);
    },
    leading: (value) => leader.set(value ? 1 : 0),
    forget(key) {
      for (const g of [lag, timeLag, desired]) g.remove({ autoscaler: key });
    },
  };
}

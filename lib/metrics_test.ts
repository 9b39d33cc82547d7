import assert from "node:assert/strict";
import { createMetrics, metricsResponse } from "./metrics.ts";

Deno.test("counters render in Prometheus text format with prefix and labels", async () => {
  const m = createMetrics({ prefix: "edge_producer", defaultMetrics: false });
  const accepted = m.counter({ name: "events_total", help: "Events accepted.", labelNames: ["topic"] });
  accepted.inc({ topic: "orders" });
  accepted.inc({ topic: "orders" }, 2);
  const { contentType, body } = await m.render();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  assert.match(body, /^# HELP edge_producer_events_total Events accepted\.$/m);
  assert.match(body, /^# TYPE edge_producer_events_total counter$/m);
  assert.match(body, /^edge_producer_events_total\{topic="orders"\} 3$/m);
});

Deno.test("histograms render cumulative buckets, sum and count", async () => {
  const m = createMetrics({ prefix: "x", defaultMetrics: false });
  const h = m.histogram({ name: "latency_seconds", help: "Latency.", buckets: [0.1, 1] });
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const { body } = await m.render();
  assert.match(body, /^# TYPE x_latency_seconds histogram$/m);
  assert.match(body, /^x_latency_seconds_bucket\{le="0\.1"\} 1$/m);
  assert.match(body, /^x_latency_seconds_bucket\{le="1"\} 2$/m);
  assert.match(body, /^x_latency_seconds_bucket\{le="\+Inf"\} 3$/m);
  assert.match(body, /^x_latency_seconds_sum 5\.55$/m);
  assert.match(body, /^x_latency_seconds_count 3$/m);
});

Deno.test("gauges and default labels appear on every series", async () => {
  const m = createMetrics({ prefix: "op_", defaultMetrics: false, defaultLabels: { service: "operator" } });
  m.gauge({ name: "lag", help: "Consumer lag." }).set(42);
  const { body } = await m.render();
  assert.match(body, /^op_lag\{service="operator"\} 42$/m);
});

Deno.test("asking twice for the same metric returns the same instance", () => {
  const m = createMetrics({ prefix: "x", defaultMetrics: false });
  const a = m.counter({ name: "c_total", help: "c" });
  assert.equal(m.counter({ name: "c_total", help: "c" }), a);
  assert.throws(() => m.gauge({ name: "c_total", help: "c" }), /different type/);
});

Deno.test("registries are isolated from each other", async () => {
  const a = createMetrics({ prefix: "svc", defaultMetrics: false });
  const b = createMetrics({ prefix: "svc", defaultMetrics: false });
  a.counter({ name: "only_a_total", help: "a" }).inc();
  assert.doesNotMatch((await b.render()).body, /only_a_total/);
});

Deno.test("default process metrics are collected under the prefix on Deno", async () => {
  const m = createMetrics({ prefix: "svc" });
  const { body } = await m.render();
  assert.match(body, /^svc_process_cpu_seconds_total \d/m);
  assert.match(body, /^svc_process_resident_memory_bytes \d+/m);
});

Deno.test("metricsResponse sets the exposition content type", async () => {
  const m = createMetrics({ prefix: "x", defaultMetrics: false });
  m.counter({ name: "up_total", help: "u" }).inc();
  const res = await metricsResponse(m.registry);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  assert.match(await res.text(), /^x_up_total 1$/m);
});

Deno.test("createMetrics rejects a prefix Prometheus would not accept", () => {
  assert.throws(
    () => createMetrics({ prefix: "bad-prefix", defaultMetrics: false }),
    /invalid metric prefix/,
  );
});

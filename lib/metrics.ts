/**
 * Prometheus metrics on prom-client, one Registry per service instance.
 *
 * A private Registry (not prom-client's global one) keeps tests isolated and lets two services
 * share a process in integration tests without "already registered" collisions.
 *
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry };

/** Options shared by every metric helper; `name` is given without the service prefix. */
export interface MetricOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

/** Options for {@link Metrics.histogram}. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  readonly buckets?: readonly number[];
}

/** A service's registry plus helpers that apply its name prefix. */
export interface Metrics {
  readonly registry: Registry;
  /** Prefix including the trailing underscore, e.g. "edge_producer_". */
  readonly prefix: string;
  counter<L extends string = string>(options: MetricOptions<L>): Counter<L>;
  gauge<L extends string = string>(options: MetricOptions<L>): Gauge<L>;
  histogram<L extends string = string>(options: HistogramOptions<L>): Histogram<L>;
  render(): Promise<MetricsPayload>;
}

/** Options for {@link createMetrics}. */
export interface MetricsOptions {
  /** Namespace for every metric, e.g. "edge_producer"; an underscore separator is added. */
  readonly prefix: string;
  /** Process and runtime metrics (CPU, memory, event-loop lag); on unless turned off. */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series, e.g. `{ service: "producer" }`. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** What a `/metrics` handler sends. */
export interface MetricsPayload {
  readonly contentType: string;
  readonly body: string;
}

/** Latency buckets in seconds for in-cluster HTTP and Kafka calls: 1 ms to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

function normalizePrefix(prefix: string): string {
  if (prefix === "") return "";
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) throw new TypeError(`invalid metric prefix "${prefix}"`);
  return prefix.endsWith("_") ? prefix : `${prefix}_`;
}

/** Creates an isolated registry with prefixed metric helpers. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const prefix = normalizePrefix(options.prefix);
  if (options.defaultLabels) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix });

  // Get-or-create so independent modules can ask for the same metric without coordinating.
  function existing<M>(name: string, kind: new (...args: never[]) => M): M | undefined {
    const found = registry.getSingleMetric(name);
    if (found === undefined) return undefined;
    if (found instanceof kind) return found;
    throw new TypeError(`metric ${name} is already registered as a different type`);
  }

  return {
    registry,
    prefix,
    counter<L extends string>(o: MetricOptions<L>): Counter<L> {
      const name = prefix + o.name;
      return existing<Counter<L>>(name, Counter) ??
        new Counter<L>({ name, help: o.help, labelNames: o.labelNames ?? [], registers: [registry] });
    },
    gauge<L extends string>(o: MetricOptions<L>): Gauge<L> {
      const name = prefix + o.name;
      return existing<Gauge<L>>(name, Gauge) ??
        new Gauge<L>({ name, help: o.help, labelNames: o.labelNames ?? [], registers: [registry] });
    },
    histogram<L extends string>(o: HistogramOptions<L>): Histogram<L> {
      const name = prefix + o.name;
      const buckets = o.buckets ? [...o.buckets] : undefined;
      return existing<Histogram<L>>(name, Histogram) ??
        new Histogram<L>({
          name,
          help: o.help,
          labelNames: o.labelNames ?? [],
          buckets,
          registers: [registry],
        });
    },
    render: () => renderMetrics(registry),
  };
}

/** Renders a registry in the Prometheus text exposition format. */
export async function renderMetrics(registry: Registry): Promise<MetricsPayload> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** A ready `/metrics` Response, usable from Hono as `app.get("/metrics", () => metricsResponse(m.registry))`. */
export async function metricsResponse(registry: Registry): Promise<Response> {
  const { contentType, body } = await renderMetrics(registry);
  return new Response(body, { headers: { "content-type": contentType } });
}

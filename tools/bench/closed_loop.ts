/**
 * The closed loop both load drivers share (HTTP requests in load_client.ts, Kafka sends in raw_producer.ts):
 * N async loops issue one operation after another. Operations that complete during the warm-up are not
 * counted; the measuring window then lasts `durationMs`, and only operations completing inside it count.
 * Bounded by time and by `maxIssues`; an operation still pending 15 s after the window is aborted.
 */
import {
  createHistogram,
  type HistogramJson,
  latencySummary,
  type ProcessUsage,
  watchProcesses,
} from "./report.ts";

/** What one load run measured; `events` counts only successful operations. */
export interface LoadResult {
  readonly connections: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly okRequests: number;
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly requestsPerSecond: number;
  /** Failed operations by kind (an HTTP status, "network", "kafka"). */
  readonly errors: Record<string, number>;
  /** A sample failure, to tell a misconfiguration from overload. */
  readonly errorSample?: string;
  readonly latency: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly histogram: HistogramJson;
  /** This process's own usage, then the watched processes', over the window. */
  readonly usage: ProcessUsage[];
}

/** What became of one operation. */
export type Outcome =
  | { readonly ok: true }
  | {
    readonly ok: false;
    /** The key it is counted under in {@link LoadResult.errors}. */
    readonly kind: string;
    readonly sample: string;
    /** Pause this loop before the next operation (failures that return at once must not spin). */
    readonly pauseMs?: number;
  };

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** Concurrent loops (connections, concurrent sends). */
  readonly loops: number;
  /** Events carried by one successful operation. */
  readonly eventsPerOperation: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxIssues: number;
  readonly watchPids: readonly number[];
}

/** Runs `operation` in the closed loop of the module comment; `close` runs once every loop has ended. */
export async function runClosedLoop(
  opts: ClosedLoopOptions,
  operation: (signal: AbortSignal) => Promise<Outcome>,
  close: () => void | Promise<void>,
): Promise<LoadResult> {
  const histogram = createHistogram();
  const errors: Record<string, number> = {};
  let errorSample: string | undefined;
  let issued = 0;
  let okRequests = 0;
  let requests = 0;
  const windowStart = performance.now() + opts.warmupMs;
  const windowEnd = windowStart + opts.durationMs;
  const abort = new AbortController();
  const hardStop = setTimeout(() => abort.abort(), opts.warmupMs + opts.durationMs + 15_000);
  let watch: ReturnType<typeof watchProcesses> | undefined;
  const windowTimer = setTimeout(() => watch = watchProcesses([Deno.pid, ...opts.watchPids]), opts.warmupMs);
  let usage: ProcessUsage[] = [];
  const endTimer = setTimeout(() => usage = watch?.stop() ?? [], opts.warmupMs + opts.durationMs);

  async function loop(): Promise<void> {
    while (performance.now() < windowEnd && issued < opts.maxIssues && !abort.signal.aborted) {
      issued++;
      const started = performance.now();
      const outcome = await operation(abort.signal);
      const ended = performance.now();
      if (ended >= windowStart && ended <= windowEnd) {
        requests++;
        if (outcome.ok) {
          okRequests++;
          histogram.record(ended - started);
        } else {
          errors[outcome.kind] = (errors[outcome.kind] ?? 0) + 1;
          errorSample ??= outcome.sample;
        }
      }
      if (!outcome.ok && outcome.pauseMs) await new Promise((r) => setTimeout(r, outcome.pauseMs));
    }
  }

  try {
    await Promise.all(Array.from({ length: opts.loops }, loop));
  } finally {
    clearTimeout(hardStop);
    clearTimeout(windowTimer);
    clearTimeout(endTimer);
    if (usage.length === 0) usage = watch?.stop() ?? [];
    await close();
  }
  const windowMs = Math.min(opts.durationMs, performance.now() - windowStart);
  const seconds = windowMs / 1000;
  return {
    connections: opts.loops,
    windowMs,
    requests,
    okRequests,
    events: okRequests * opts.eventsPerOperation,
    eventsPerSecond: okRequests * opts.eventsPerOperation / seconds,
    requestsPerSecond: requests / seconds,
    errors,
    errorSample,
    latency: latencySummary(histogram),
    histogram: histogram.toJSON(),
    usage,
  };
}

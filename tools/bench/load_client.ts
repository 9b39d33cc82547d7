/**
 * HTTP load generator, run as its own process so its CPU is not the server's: N connections as N async
 * loops, each POSTing the same body over a keep-alive connection back to back (closed loop). Requests that
 * complete during the warm-up are not counted; the measuring window then lasts `--duration-ms`, and only
 * requests completing inside it count. Bounded by time and by `--max-requests`.
 *
 *   deno run -A tools/bench/load_client.ts --url http://127.0.0.1:8080/v1/topics/t/events \
 *     --body-file body.json --content-type application/json --events 100 --connections 16 \
 *     --warmup-ms 3000 --duration-ms 20000 [--watch-pids 123,456]
 *
 * Prints one JSON object ({@link LoadResult}) on stdout.
 */
import { parseArgs } from "node:util";
import {
  createHistogram,
  type HistogramJson,
  latencySummary,
  type ProcessUsage,
  watchProcesses,
} from "./report.ts";

/** What one load run measured; `events` counts only 2xx answers. */
export interface LoadResult {
  readonly connections: number;
  readonly windowMs: number;
  readonly requests: number;
  readonly okRequests: number;
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly requestsPerSecond: number;
  /** Non-2xx answers by status; "network" for requests that failed without an answer. */
  readonly errors: Record<string, number>;
  /** A sample error answer, to tell a misconfiguration from overload. */
  readonly errorSample?: string;
  readonly latency: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly histogram: HistogramJson;
  /** This client's own usage, then the watched processes', over the window. */
  readonly usage: ProcessUsage[];
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  readonly url: string;
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  /** Events per request body, to turn requests into events. */
  readonly events: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly watchPids: readonly number[];
}

/** Runs the closed-loop load; see the module comment. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  // One client per run; hyper opens a connection for each concurrent request and keeps it alive.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: opts.connections, http2: false });
  const histogram = createHistogram();
  const errors: Record<string, number> = {};
  let errorSample: string | undefined;
  let issued = 0;
  let okRequests = 0;
  let requests = 0;
  const t0 = performance.now();
  const windowStart = t0 + opts.warmupMs;
  const windowEnd = windowStart + opts.durationMs;
  // A request hanging past the window must not hold the run open: abort stragglers after a grace period.
  const abort = new AbortController();
  const hardStop = setTimeout(() => abort.abort(), opts.warmupMs + opts.durationMs + 15_000);
  let watch: ReturnType<typeof watchProcesses> | undefined;
  const windowTimer = setTimeout(() => watch = watchProcesses([Deno.pid, ...opts.watchPids]), opts.warmupMs);
  let usage: ProcessUsage[] = [];
  const endTimer = setTimeout(() => usage = watch?.stop() ?? [], opts.warmupMs + opts.durationMs);
  const headers = { "content-type": opts.contentType };

  async function loop(): Promise<void> {
    while (performance.now() < windowEnd && issued < opts.maxRequests && !abort.signal.aborted) {
      issued++;
      const started = performance.now();
      let status: string;
      let text = "";
      try {
        const res = await fetch(opts.url, {
          method: "POST",
          body: opts.body,
          headers,
          client,
          signal: abort.signal,
        });
        status = String(res.status);
        if (res.ok) await res.body?.cancel();
        else text = await res.text();
      } catch (err) {
        status = "network";
        text = err instanceof Error ? err.message : String(err);
      }
      const ended = performance.now();
      if (ended < windowStart || ended > windowEnd) continue;
      requests++;
      if (status.startsWith("2")) {
        okRequests++;
        histogram.record(ended - started);
      } else {
        errors[status] = (errors[status] ?? 0) + 1;
        errorSample ??= `${status} ${text.slice(0, 300)}`;
        // Refused or broken connections fail instantly: do not spin on them.
        if (status === "network") await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: opts.connections }, loop));
  } finally {
    clearTimeout(hardStop);
    clearTimeout(windowTimer);
    clearTimeout(endTimer);
    if (usage.length === 0) usage = watch?.stop() ?? [];
    client.close();
  }
  const windowMs = Math.min(opts.durationMs, performance.now() - windowStart);
  const seconds = windowMs / 1000;
  return {
    connections: opts.connections,
    windowMs,
    requests,
    okRequests,
    events: okRequests * opts.events,
    eventsPerSecond: okRequests * opts.events / seconds,
    requestsPerSecond: requests / seconds,
    errors,
    errorSample,
    latency: latencySummary(histogram),
    histogram: histogram.toJSON(),
    usage,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "url": { type: "string" },
      "body-file": { type: "string" },
      "content-type": { type: "string", default: "application/json" },
      "events": { type: "string", default: "1" },
      "connections": { type: "string", default: "16" },
      "warmup-ms": { type: "string", default: "2000" },
      "duration-ms": { type: "string", default: "10000" },
      "max-requests": { type: "string", default: "10000000" },
      "watch-pids": { type: "string", default: "" },
    },
  });
  if (!values.url || !values["body-file"]) {
    console.error("usage: load_client.ts --url URL --body-file FILE [--content-type T] [--events N] …");
    Deno.exit(2);
  }
  const result = await runLoad({
    url: values.url,
    body: await Deno.readFile(values["body-file"]),
    contentType: values["content-type"],
    events: Number(values.events),
    connections: Number(values.connections),
    warmupMs: Number(values["warmup-ms"]),
    durationMs: Number(values["duration-ms"]),
    maxRequests: Number(values["max-requests"]),
    watchPids: values["watch-pids"].split(",").filter((s) => s !== "").map(Number),
  });
  console.log(JSON.stringify(result));
}

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
import { type LoadResult, runClosedLoop } from "./closed_loop.ts";

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

/** Runs the closed-loop load; see the module comment. Non-2xx answers count by status, failures as "network". */
export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  // One client per run; hyper opens a connection for each concurrent request and keeps it alive.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: opts.connections, http2: false });
  const headers = { "content-type": opts.contentType };
  return runClosedLoop(
    {
      loops: opts.connections,
      eventsPerOperation: opts.events,
      warmupMs: opts.warmupMs,
      durationMs: opts.durationMs,
      maxIssues: opts.maxRequests,
      watchPids: opts.watchPids,
    },
    async (signal) => {
      try {
        const res = await fetch(opts.url, { method: "POST", body: opts.body, headers, client, signal });
        if (res.ok) {
          await res.body?.cancel();
          return { ok: true };
        }
        const status = String(res.status);
        return { ok: false, kind: status, sample: `${status} ${(await res.text()).slice(0, 300)}` };
      } catch (err) {
        // Refused or broken connections fail instantly: do not spin on them.
        const text = err instanceof Error ? err.message : String(err);
        return { ok: false, kind: "network", sample: `network ${text.slice(0, 300)}`, pauseMs: 10 };
      }
    },
    () => client.close(),
  );
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

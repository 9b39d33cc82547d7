/**
 * OpenSearch / Elasticsearch sink: the log store. One `_bulk` request per batch (split by size), every
 * document keyed by its CloudEvent id so a replayed record overwrites (`index`) or keeps (`create`) the
 * copy already stored instead of duplicating it.
 *
 * Failure handling, from the cheapest to retry to the most expensive:
 * - Items rejected with 429/5xx (queue full, shard relocating) are re-sent alone, with backoff, inside the
 *   same write; those still failing after `maxItemRetries` are reported as transient per-record failures, so
 *   the runtime retries just them (re-sending stored records would be harmless, but it costs, and would
 *   dead-letter them too should the runtime's retries run out).
 * - Items rejected with another 4xx (mapping conflict, id too long) are reported as permanent failures, so
 *   the runtime dead-letters exactly those records; so are events that cannot be rendered as JSON.
 * - A request that fails as a whole (refused, timeout, 5xx, 429, bad credentials) throws a transient
 *   SinkError carrying Retry-After. Auth and URL errors are transient on purpose: they are configuration
 *   problems, and stalling with loud errors beats dead-lettering every record.
 *
 * Plain fetch keeps this dependency-free and works against both OpenSearch and Elasticsearch.
 */
import type { Logger } from "@kafka-edge/lib";
import { type Sink, SinkError, type SinkRecord, type SinkWriteResult } from "../core/sink.ts";
import {
  buildDocument,
  type BulkAction,
  type BulkItem,
  bulkItem,
  chunkItems,
  classifyBulkResponse,
  compileIndexTemplate,
  eventTimeMs,
} from "./opensearch_bulk.ts";
import {
  clip,
  createTransport,
  type FetchFn,
  type HttpTransport,
  parseRetryAfter,
  throwIfAborted,
  transportError,
  withDeadline,
} from "./sink_http.ts";

/** Options for {@link createOpenSearchSink}. */
export interface OpenSearchSinkOptions {
  /** Cluster URL, e.g. https://search.internal:9200; user:password in it is used as basic auth. */
  readonly url: string;
  /** Index name template (see compileIndexTemplate); default `logs-{topic}-{yyyy.MM.dd}`. */
  readonly index?: string;
  /** Default `index`. */
  readonly action?: BulkAction;
  readonly username?: string;
  readonly password?: string;
  /** Sent as `Authorization: ApiKey <apiKey>` (Elasticsearch API keys, or a proxy in front of OpenSearch). */
  readonly apiKey?: string;
  /** Per-request timeout; default 30 s. */
  readonly timeoutMs?: number;
  /** Largest `_bulk` body; default 5 MiB. */
  readonly maxBulkBytes?: number;
  /** Re-sends of items rejected with 429/5xx within one write; default 3. */
  readonly maxItemRetries?: number;
  /** First item-retry delay, doubled per attempt; default 200 ms. */
  readonly retryBackoffMs?: number;
  readonly name?: string;
  readonly logger?: Logger;
  /** Test seam: replaces the HTTP client. */
  readonly fetch?: FetchFn;
  /** Test seam: how item retries wait; must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const DEFAULT_INDEX = "logs-{topic}-{yyyy.MM.dd}";

interface ResolvedOptions {
  readonly base: string;
  readonly authorization?: string;
  readonly action: BulkAction;
  readonly timeoutMs: number;
  readonly maxBulkBytes: number;
  readonly maxItemRetries: number;
  readonly retryBackoffMs: number;
}

function resolve(options: OpenSearchSinkOptions): ResolvedOptions {
  const url = new URL(options.url);
  const username = options.username ?? decodeURIComponent(url.username);
  const password = options.password ?? decodeURIComponent(url.password);
  // fetch refuses URLs with credentials, so they move into the header.
  url.username = "";
  url.password = "";
  let authorization: string | undefined;
  if (options.apiKey) authorization = `ApiKey ${options.apiKey}`;
  else if (username) authorization = `Basic ${btoa(`${username}:${password}`)}`;
  return {
    base: url.href.replace(/\/+$/, ""),
    authorization,
    action: options.action ?? "index",
    timeoutMs: options.timeoutMs ?? 30_000,
    maxBulkBytes: options.maxBulkBytes ?? 5 * 1024 * 1024,
    maxItemRetries: options.maxItemRetries ?? 3,
    retryBackoffMs: options.retryBackoffMs ?? 200,
  };
}

function sleepWithSignal(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      if (signal.aborted) reject(signal.reason);
      else resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Per item: stored, worth re-sending (with why), or failed for good. */
type ChunkResult = {
  readonly index: number;
  readonly outcome: "ok" | { readonly retry: string } | SinkError;
};

/** Creates the sink; throws at once on an invalid URL or index template. */
export function createOpenSearchSink(options: OpenSearchSinkOptions): Sink {
  const opts = resolve(options);
  const indexFor = compileIndexTemplate(options.index ?? DEFAULT_INDEX);
  const sleep = options.sleep ?? sleepWithSignal;
  // The base URL has no credentials in it, so it is safe in messages and logs.
  const shownUrl = opts.base;
  let transport: HttpTransport | undefined;

  function headers(contentType?: string): Headers {
    const h = new Headers();
    if (contentType) h.set("content-type", contentType);
    if (opts.authorization) h.set("authorization", opts.authorization);
    return h;
  }

  async function request(path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
    if (!transport) throw new Error(`opensearch sink: write() before start()`);
    const deadline = withDeadline(signal, opts.timeoutMs);
    try {
      const response = await transport.fetch(new Request(`${opts.base}${path}`, init), deadline.signal);
      // Read the body under the same deadline: a stalled body must not hang the write.
      const text = await response.text();
      return new Response(text, { status: response.status, headers: response.headers });
    } catch (err) {
      throw transportError(`opensearch cluster at ${shownUrl} is unreachable`, err, signal);
    } finally {
      deadline.dispose();
    }
  }

  function requestError(response: Response, text: string): SinkError {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    const hint = response.status === 401 || response.status === 403 ? " (check credentials)" : "";
    return new SinkError(
      `opensearch _bulk: HTTP ${response.status}${hint}: ${clip(text)}`,
      response.status === 400 ? "permanent" : "transient",
      retryAfterMs,
    );
  }

  /** Sends one chunk; a 413 splits it, a 400 for the whole request fails only its own items. */
  async function sendChunk(chunk: readonly BulkItem[], signal: AbortSignal): Promise<ChunkResult[]> {
    const body = chunk.map((item) => item.lines).join("");
    const response = await request(
      "/_bulk",
      { method: "POST", headers: headers("application/x-ndjson"), body },
      signal,
    );
    const text = await response.text();
    if (response.status === 413 && chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      return [
        ...await sendChunk(chunk.slice(0, half), signal),
        ...await sendChunk(chunk.slice(half), signal),
      ];
    }
    if (response.status === 413 || response.status === 400) {
      const error = requestError(response, text);
      return chunk.map((item) => ({ index: item.index, outcome: new SinkError(error.message, "permanent") }));
    }
    if (!response.ok) throw requestError(response, text);
    let outcomes;
    try {
      outcomes = classifyBulkResponse(opts.action, JSON.parse(text), chunk.length);
    } catch (err) {
      throw new SinkError(`opensearch _bulk: unexpected response: ${(err as Error).message}`, "transient");
    }
    return outcomes.map((outcome, i) => ({
      index: chunk[i].index,
      outcome: outcome.kind === "ok"
        ? "ok"
        : outcome.kind === "retry"
        ? { retry: `HTTP ${outcome.status} ${outcome.reason}` }
        : new SinkError(
          `opensearch rejected the document: HTTP ${outcome.status} ${outcome.reason}`,
          "permanent",
        ),
    }));
  }

  return {
    name: options.name ?? "opensearch",

    async start() {
      transport ??= createTransport(options.fetch);
      let response: Response;
      try {
        response = await request("/", { method: "GET", headers: headers() }, new AbortController().signal);
      } catch (err) {
        throw new Error(`opensearch sink: cannot start: ${(err as Error).message}`);
      }
      const text = await response.text();
      if (response.status === 401 || response.status === 403) {
        throw new Error(`opensearch sink: ${shownUrl} refused the credentials (HTTP ${response.status})`);
      }
      if (!response.ok) {
        throw new Error(`opensearch sink: ${shownUrl} answered HTTP ${response.status}: ${clip(text)}`);
      }
      const version = (() => {
        try {
          return JSON.parse(text)?.version?.number;
        } catch {
          return undefined;
        }
      })();
      options.logger?.info("opensearch sink ready", { url: shownUrl, version });
    },

    async write(records: readonly SinkRecord[], ctx): Promise<SinkWriteResult> {
      throwIfAborted(ctx.signal);
      if (records.length === 0) return {};
      const failures: { index: number; error: SinkError }[] = [];
      let pending: BulkItem[] = [];
      records.forEach((record, index) => {
        try {
          const target = indexFor(record.topic, eventTimeMs(record));
          pending.push(bulkItem(index, opts.action, target, record.event.id, buildDocument(record)));
        } catch (err) {
          failures.push({
            index,
            error: new SinkError(`cannot index event: ${(err as Error).message}`, "permanent"),
          });
        }
      });

      let why = new Map<number, string>();
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) {
          if (attempt > opts.maxItemRetries) {
            for (const { index } of pending) {
              const message = `opensearch still rejects the document after ${opts.maxItemRetries} retries: ` +
                why.get(index);
              failures.push({ index, error: new SinkError(message, "transient") });
            }
            break;
          }
          await sleep(opts.retryBackoffMs * 2 ** (attempt - 1), ctx.signal).catch(() =>
            throwIfAborted(ctx.signal)
          );
        }
        const byIndex = new Map(pending.map((item) => [item.index, item]));
        const retry: BulkItem[] = [];
        why = new Map();
        for (const chunk of chunkItems(pending, opts.maxBulkBytes)) {
          throwIfAborted(ctx.signal);
          for (const { index, outcome } of await sendChunk(chunk, ctx.signal)) {
            if (outcome instanceof SinkError) failures.push({ index, error: outcome });
            else if (outcome !== "ok") {
              retry.push(byIndex.get(index)!);
              why.set(index, outcome.retry);
            }
          }
        }
        pending = retry;
      }
      failures.sort((a, b) => a.index - b.index);
      return failures.length > 0 ? { failures } : {};
    },

    close() {
      transport?.close();
      transport = undefined;
      return Promise.resolve();
    },
  };
}

/**
 * HTTP plumbing shared by the fetch-based sinks (OpenSearch, S3): an owned connection pool that close()
 * really releases, per-request deadlines, Retry-After parsing, and the mapping of transport failures to
 * transient {@link SinkError}s.
 */
import { SinkError } from "../core/sink.ts";

/** Sends one request; injectable so unit tests can script responses without a server. */
export type FetchFn = (request: Request, signal: AbortSignal) => Promise<Response>;

/** A fetch bound to a connection pool owned by one sink. */
export interface HttpTransport {
  readonly fetch: FetchFn;
  /** Closes the pool; idle keep-alive connections would otherwise outlive the sink. */
  close(): void;
}

/** Uses `override` when given (tests), else a dedicated Deno HTTP client. */
export function createTransport(override?: FetchFn): HttpTransport {
  if (override) return { fetch: override, close: () => {} };
  const client = Deno.createHttpClient({});
  return {
    fetch: (request, signal) => fetch(request, { client, signal }),
    close: () => client.close(),
  };
}

/** A signal that fires when `parent` aborts or after `ms`; call dispose() so no timer outlives the request. */
export function withDeadline(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no response within ${ms}ms`, "TimeoutError")),
    ms,
  );
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent.removeEventListener("abort", onAbort);
    },
  };
}

/** Milliseconds from a Retry-After header (delta-seconds or HTTP date); undefined when absent or bad. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** The error a write rejects with once its context signal aborted. */
export function abortedError(signal: AbortSignal): SinkError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : "";
  return new SinkError(`write aborted${reason}`, "transient");
}

/** Throws {@link abortedError} when `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortedError(signal);
}

/**
 * Maps a failed fetch to a transient SinkError: the caller's abort, our own deadline, or a network error
 * (refused, reset, DNS) — none of which says anything about the records themselves.
 */
export function transportError(what: string, err: unknown, caller: AbortSignal): SinkError {
  if (err instanceof SinkError) return err;
  if (caller.aborted) return abortedError(caller);
  const message = err instanceof Error ? err.message : String(err);
  return new SinkError(`${what}: ${message}`, "transient");
}

/**
 * Resolves with `promise` or rejects with {@link abortedError} as soon as `signal` aborts. `promise` may go
 * on after that; its own failure is then nobody's to report and is dropped, never left unhandled (an
 * unhandled rejection ends the process).
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onAbort?: () => void): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    onAbort?.();
    return Promise.reject(abortedError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      onAbort?.();
      reject(abortedError(signal));
    };
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/** Cuts a response body for error messages: enough to diagnose, never a megabyte of HTML. */
export function clip(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

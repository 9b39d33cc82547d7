/**
 * A controller work queue in the manner of client-go's: keys, not events, so a burst of changes to one
 * autoscaler becomes one reconcile of its latest state; a key is never processed by two workers at once
 * (a key added while it is being processed runs once more afterwards); delayed adds keep only the
 * earliest pending time per key, so "poll again in 5 s" chains never multiply; failures back off
 * exponentially per key until {@link WorkQueue.forget}.
 *
 * @module
 */

/** Timers; injectable so tests drive delays without waiting. */
export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options for {@link createWorkQueue}. */
export interface WorkQueueOptions {
  /** First retry delay after a failure (default 250 ms); doubles per consecutive failure. */
  readonly baseDelayMs?: number;
  /** Upper bound of the retry delay (default 30 s). */
  readonly maxDelayMs?: number;
  readonly clock?: QueueClock;
}

/** The queue. */
export interface WorkQueue {
  /** Queues `key` now, unless it is already waiting. */
  add(key: string): void;
  /** Queues `key` after `ms`, unless it is already due sooner. */
  addAfter(key: string, ms: number): void;
  /** Queues `key` after its per-key backoff and counts one more failure. */
  addRateLimited(key: string): void;
  /** Resets `key`'s failure count (after a successful reconcile). */
  forget(key: string): void;
  /** Consecutive failures of `key`. */
  failures(key: string): number;
  /** Cancels `key`'s delayed add and failure count (the object is gone). */
  drop(key: string): void;
  /** The next key, marked as processing; undefined once shut down. */
  get(): Promise<string | undefined>;
  /** Marks `key` finished; re-queues it if it was added while processing. */
  done(key: string): void;
  /** Keys waiting to be processed now (not delayed, not processing). */
  length(): number;
  /** Wakes every waiting `get` with undefined and refuses further work. */
  shutdown(): void;
}

const realClock: QueueClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
};

/** Creates a {@link WorkQueue}. */
export function createWorkQueue(options: WorkQueueOptions = {}): WorkQueue {
  const clock = options.clock ?? realClock;
  const baseDelay = options.baseDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const delayed = new Map<string, { readonly at: number; readonly handle: unknown }>();
  const failureCounts = new Map<string, number>();
  const waiters: ((key: string | undefined) => void)[] = [];
  let closed = false;

  function add(key: string): void {
    if (closed || dirty.has(key)) return;
    dirty.add(key);
    if (processing.has(key)) return;
    const waiter = waiters.shift();
    if (waiter) {
      dirty.delete(key);
      processing.add(key);
      waiter(key);
    } else {
      queue.push(key);
    }
  }

  function addAfter(key: string, ms: number): void {
    if (closed) return;
    if (ms <= 0) return add(key);
    const at = clock.now() + ms;
    const pending = delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clock.clearTimeout(pending.handle);
    const handle = clock.setTimeout(() => {
      delayed.delete(key);
      add(key);
    }, ms);
    delayed.set(key, { at, handle });
  }

  function cancelDelayed(key: string): void {
    const pending = delayed.get(key);
    if (pending) clock.clearTimeout(pending.handle);
    delayed.delete(key);
  }

  return {
    add,
    addAfter,
    addRateLimited(key) {
      const n = failureCounts.get(key) ?? 0;
      failureCounts.set(key, n + 1);
      addAfter(key, Math.min(maxDelay, baseDelay * 2 ** Math.min(n, 30)));
    },
    forget: (key) => void failureCounts.delete(key),
    failures: (key) => failureCounts.get(key) ?? 0,
    drop(key) {
      cancelDelayed(key);
      failureCounts.delete(key);
    },
    get() {
      if (closed) return Promise.resolve(undefined);
      const key = queue.shift();
      if (key !== undefined) {
        dirty.delete(key);
        processing.add(key);
        return Promise.resolve(key);
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    done(key) {
      processing.delete(key);
      if (!dirty.has(key)) return;
      // Added while processing: it runs again, now that no other worker holds it.
      dirty.delete(key);
      add(key);
    },
    length: () => queue.length,
    shutdown() {
      closed = true;
      for (const key of delayed.keys()) cancelDelayed(key);
      for (const waiter of waiters.splice(0)) waiter(undefined);
    },
  };
}

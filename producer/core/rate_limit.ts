/**
 * Per-principal token buckets.
 *
 * A bucket refills `perSecond` tokens per second up to `burst`; a request of `cost` events takes
 * `cost` tokens or is refused without taking any, so a refused client is not pushed further back.
 * A full bucket is indistinguishable from no bucket, which is what lets memory stay bounded:
 * idle principals whose buckets have refilled are evicted first, least recently used first.
 *
 * @module
 */
import type { NowClock } from "@kafka-edge/lib";
import type { Principal, RateLimit } from "./types.ts";

/** Outcome of {@link RateLimiter.take}. */
export type TakeResult =
  | { readonly ok: true; readonly remaining: number }
  /** Retry after this many whole seconds (≥ 1): then `cost` tokens will be available. */
  | { readonly ok: false; readonly reason: "rate_limited"; readonly retryAfterSeconds: number }
  /** `cost` exceeds the bucket size: no wait helps, the request must be split. */
  | { readonly ok: false; readonly reason: "exceeds_burst"; readonly burst: number };

/** Options for {@link createRateLimiter}. */
export interface RateLimiterOptions {
  readonly clock: NowClock;
  /** Used when `take` is called without a rate. */
  readonly defaultRate: RateLimit;
  /** Most buckets kept; beyond it the least recently used is evicted. Default 10000. */
  readonly maxPrincipals?: number;
}

/** Token buckets keyed by principal. */
export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from `principalId`'s bucket, sized by `rate` or the default. */
  take(principalId: string, cost?: number, rate?: RateLimit): TakeResult;
  /** Buckets currently held. */
  readonly size: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
  /** The rate of the latest take, to tell whether an idle bucket has refilled. */
  rate: RateLimit;
}

// Floating-point refill can land a hair above a whole number of seconds (3.0000000000000004); without
// this slack Retry-After would be a full second too long.
const EPSILON = 1e-9;
// How many least-recently-used buckets to inspect for a full one before evicting a non-full one.
const EVICTION_SCAN = 32;

/**
 * Key for {@link RateLimiter.take}: API-key ids and JWT subjects come from different namespaces and
 * must not share a bucket.
 */
export function rateLimitKey(principal: Principal): string {
  return `${principal.method}:${principal.id}`;
}

function checkRate(rate: RateLimit): void {
  if (
    !(Number.isFinite(rate.perSecond) && rate.perSecond > 0 && Number.isFinite(rate.burst) && rate.burst >= 1)
  ) {
    throw new RangeError(`rate must have perSecond > 0 and burst >= 1, got ${JSON.stringify(rate)}`);
  }
}

/** Creates a limiter; throws RangeError for an unusable default rate or size. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { clock, defaultRate } = options;
  const maxPrincipals = options.maxPrincipals ?? 10_000;
  checkRate(defaultRate);
  if (!Number.isInteger(maxPrincipals) || maxPrincipals < 1) {
    throw new RangeError(`maxPrincipals must be a positive integer, got ${maxPrincipals}`);
  }
  // A Map iterates in insertion order; re-inserting on every use makes the first entry the LRU one.
  const buckets = new Map<string, Bucket>();

  function refill(bucket: Bucket, rate: RateLimit, nowMs: number): void {
    // A clock stepping backwards must not drain tokens.
    const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (elapsedMs / 1000) * rate.perSecond);
    bucket.updatedMs = Math.max(bucket.updatedMs, nowMs);
  }

  function makeRoom(nowMs: number): void {
    let scanned = 0;
    for (const [id, bucket] of buckets) {
      if (scanned++ >= EVICTION_SCAN) break;
      const probe = { ...bucket };
      refill(probe, bucket.rate, nowMs);
      if (probe.tokens >= bucket.rate.burst) {
        buckets.delete(id);
        return;
      }
    }
    // Nothing idle: forgetting the LRU bucket refills it early, a small leniency that keeps memory bounded.
    const oldest = buckets.keys().next();
    if (!oldest.done) buckets.delete(oldest.value);
  }

  return {
    get size() {
      return buckets.size;
    },
    take(principalId: string, cost = 1, rate: RateLimit = defaultRate): TakeResult {
      checkRate(rate);
      if (!(Number.isFinite(cost) && cost >= 0)) throw new RangeError(`cost must be >= 0, got ${cost}`);
      if (cost > rate.burst) return { ok: false, reason: "exceeds_burst", burst: rate.burst };
      const nowMs = clock.now();
      let bucket = buckets.get(principalId);
      if (bucket === undefined) {
        if (buckets.size >= maxPrincipals) makeRoom(nowMs);
        bucket = { tokens: rate.burst, updatedMs: nowMs, rate };
      } else {
        buckets.delete(principalId);
        // A changed rate (key file reloaded) applies from now on; refill clamps to the new burst.
        refill(bucket, rate, nowMs);
        bucket.rate = rate;
      }
      buckets.set(principalId, bucket);
      if (bucket.tokens + EPSILON >= cost) {
        bucket.tokens = Math.max(0, bucket.tokens - cost);
        return { ok: true, remaining: Math.floor(bucket.tokens + EPSILON) };
      }
      const waitSeconds = (cost - bucket.tokens) / rate.perSecond;
      return {
        ok: false,
        reason: "rate_limited",
        retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds - EPSILON)),
      };
    },
  };
}

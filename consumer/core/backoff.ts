/**
 * Retry schedule: exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and
 * Jitter"), which spreads the retries of many workers hitting one recovering sink instead of having them
 * stampede in lockstep.
 *
 * @module
 */

/** How often and how patiently a failed write is retried. */
export interface RetryPolicy {
  /** Total write attempts per record, including the first. */
  readonly attempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** The upper bound of the wait after failed attempt number `attempt` (1-based): initial·2^(attempt-1), capped. */
export function backoffCeiling(attempt: number, policy: RetryPolicy): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  return Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** exponent);
}

/**
 * The wait after failed attempt `attempt`: uniform in [0, ceiling] (full jitter). A sink's Retry-After is
 * honoured as a lower bound but capped at maxBackoffMs, so one record's retries stay within the budget.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const jittered = Math.floor(random() * (backoffCeiling(attempt, policy) + 1));
  const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(retryAfterMs, 0), policy.maxBackoffMs);
  return Math.max(jittered, floor);
}

/** The longest a record can hold its partition in retries: the sum of every ceiling (jitter only shortens it). */
export function retryBudgetMs(policy: RetryPolicy): number {
  let total = 0;
  for (let attempt = 1; attempt < policy.attempts; attempt++) total += backoffCeiling(attempt, policy);
  return total;
}

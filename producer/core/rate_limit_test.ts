import assert from "node:assert/strict";
import { createRateLimiter, rateLimitKey, type TakeResult } from "./rate_limit.ts";
import type { RateLimit } from "./types.ts";

function fakeClock(startMs = 1_000_000) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

const RATE: RateLimit = { perSecond: 10, burst: 20 };

Deno.test("token bucket answers each take in a scripted sequence exactly", async (t) => {
  type Step = { readonly atMs: number; readonly cost: number; readonly want: TakeResult };
  const cases: ReadonlyArray<{ name: string; rate: RateLimit; steps: readonly Step[] }> = [
    {
      name: "a fresh bucket starts full and counts down",
      rate: RATE,
      steps: [
        { atMs: 0, cost: 1, want: { ok: true, remaining: 19 } },
        { atMs: 0, cost: 19, want: { ok: true, remaining: 0 } },
        { atMs: 0, cost: 1, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 1 } },
      ],
    },
    {
      name: "retry-after is the time until cost tokens exist, rounded up to whole seconds",
      rate: RATE,
      steps: [
        { atMs: 0, cost: 20, want: { ok: true, remaining: 0 } },
        // 15 tokens at 10/s need 1.5 s.
        { atMs: 0, cost: 15, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 2 } },
        { atMs: 1000, cost: 15, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 1 } },
        { atMs: 1500, cost: 15, want: { ok: true, remaining: 0 } },
      ],
    },
    {
      name: "a wait of exactly whole seconds is not rounded up by float noise",
      rate: { perSecond: 0.3, burst: 3 },
      steps: [
        { atMs: 0, cost: 3, want: { ok: true, remaining: 0 } },
        // 0.3 tokens refilled; (3 - 0.3) / 0.3 computes as 9.000000000000002, which must still be 9.
        { atMs: 1000, cost: 3, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 9 } },
        { atMs: 10_000, cost: 3, want: { ok: true, remaining: 0 } },
      ],
    },
    {
      name: "a refused take consumes nothing",
      rate: RATE,
      steps: [
        { atMs: 0, cost: 18, want: { ok: true, remaining: 2 } },
        { atMs: 0, cost: 5, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 1 } },
        { atMs: 0, cost: 2, want: { ok: true, remaining: 0 } },
      ],
    },
    {
      name: "refill stops at burst however long the bucket idles",
      rate: RATE,
      steps: [
        { atMs: 0, cost: 20, want: { ok: true, remaining: 0 } },
        { atMs: 3_600_000, cost: 0, want: { ok: true, remaining: 20 } },
        { atMs: 3_600_000, cost: 20, want: { ok: true, remaining: 0 } },
        { atMs: 3_600_000, cost: 1, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 1 } },
      ],
    },
    {
      name: "cost above burst can never succeed and says so instead of a retry time",
      rate: RATE,
      steps: [
        { atMs: 0, cost: 21, want: { ok: false, reason: "exceeds_burst", burst: 20 } },
        { atMs: 0, cost: 20, want: { ok: true, remaining: 0 } },
      ],
    },
    {
      name: "a clock stepping backwards neither refills nor drains",
      rate: RATE,
      steps: [
        { atMs: 0, cost: 20, want: { ok: true, remaining: 0 } },
        { atMs: -5000, cost: 1, want: { ok: false, reason: "rate_limited", retryAfterSeconds: 1 } },
        { atMs: 100, cost: 1, want: { ok: true, remaining: 0 } },
      ],
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const clock = fakeClock();
      const start = clock.now();
      const limiter = createRateLimiter({ clock, defaultRate: c.rate });
      c.steps.forEach((step, i) => {
        clock.advance(start + step.atMs - clock.now());
        assert.deepEqual(limiter.take("p", step.cost), step.want, `step ${i}`);
      });
    });
  }
});

Deno.test("each principal has its own bucket and an explicit rate overrides the default", () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ clock, defaultRate: { perSecond: 1, burst: 1 } });
  assert.deepEqual(limiter.take("a"), { ok: true, remaining: 0 });
  assert.equal(limiter.take("a").ok, false);
  assert.deepEqual(limiter.take("b"), { ok: true, remaining: 0 });
  assert.deepEqual(limiter.take("c", 50, { perSecond: 100, burst: 100 }), { ok: true, remaining: 50 });
});

Deno.test("a lowered rate clamps the stored tokens to the new burst", () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ clock, defaultRate: RATE });
  assert.deepEqual(limiter.take("p", 1, { perSecond: 100, burst: 100 }), { ok: true, remaining: 99 });
  assert.deepEqual(limiter.take("p", 1, { perSecond: 1, burst: 5 }), { ok: true, remaining: 4 });
});

Deno.test("memory stays bounded: idle full buckets go first, then the least recently used", async (t) => {
  await t.step("a refilled idle bucket is evicted before a busier, older one", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ clock, defaultRate: RATE, maxPrincipals: 2 });
    limiter.take("drained", 20);
    limiter.take("idle", 1);
    clock.advance(200); // "idle" is full again (0.2 s × 10/s ≥ 1); "drained" holds only 2 tokens
    limiter.take("new", 1);
    assert.equal(limiter.size, 2);
    // "drained" kept its state: still short of tokens.
    assert.deepEqual(limiter.take("drained", 3), { ok: false, reason: "rate_limited", retryAfterSeconds: 1 });
  });
  await t.step("with no full bucket the least recently used is evicted and starts over full", () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ clock, defaultRate: RATE, maxPrincipals: 2 });
    limiter.take("a", 20);
    limiter.take("b", 20);
    limiter.take("a", 0); // touching "a" makes "b" the least recently used
    limiter.take("c", 20);
    assert.equal(limiter.size, 2);
    assert.equal(limiter.take("a", 1).ok, false, "a was kept");
    assert.deepEqual(limiter.take("b", 20), { ok: true, remaining: 0 }, "b was forgotten");
  });
  await t.step("never holds more than maxPrincipals buckets", () => {
    const limiter = createRateLimiter({ clock: fakeClock(), defaultRate: RATE, maxPrincipals: 100 });
    for (let i = 0; i < 1000; i++) limiter.take(`p${i}`, 5);
    assert.equal(limiter.size, 100);
  });
});

Deno.test("unusable rates and costs are programming errors and throw RangeError", () => {
  const clock = fakeClock();
  assert.throws(() => createRateLimiter({ clock, defaultRate: { perSecond: 0, burst: 1 } }), RangeError);
  assert.throws(() => createRateLimiter({ clock, defaultRate: RATE, maxPrincipals: 0 }), RangeError);
  const limiter = createRateLimiter({ clock, defaultRate: RATE });
  assert.throws(() => limiter.take("p", -1), RangeError);
  assert.throws(() => limiter.take("p", Number.NaN), RangeError);
  assert.throws(() => limiter.take("p", 1, { perSecond: 1, burst: 0.5 }), RangeError);
});

Deno.test("rate-limit keys keep API-key ids and JWT subjects apart", () => {
  assert.notEqual(
    rateLimitKey({ id: "ci", method: "api-key", topics: "*" }),
    rateLimitKey({ id: "ci", method: "jwt", topics: "*" }),
  );
});

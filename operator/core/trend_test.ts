import assert from "node:assert/strict";
import { type ArrivalPoint, steadyTrend } from "./trend.ts";

const NOW = 1_000_000;
const WINDOW = 120_000;

/** A point every 5 s over the last 115 s, and now. */
function points(arrivals: (secondsAgo: number) => number): ArrivalPoint[] {
  return Array.from({ length: 24 }, (_, i) => {
    const ago = 115 - 5 * i;
    return { at: NOW - ago * 1000, arrivals: arrivals(ago) };
  });
}

/** Deterministic ±1 noise: a fixed, irregular sign pattern. */
function jitter(ago: number): number {
  return (ago * 7919) % 23 < 11 ? 1 : -1;
}

Deno.test("a noiseless fall is falling, bounded by the line's value now", () => {
  const trend = steadyTrend(points((ago) => 600 + 5 * ago), NOW, WINDOW);
  assert.equal(trend?.direction, "falling");
  assert.ok(Math.abs(trend!.slope + 5) < 1e-9);
  assert.ok(Math.abs(trend!.bound - 600) < 1e-6);
});

Deno.test("a noiseless rise is rising", () => {
  assert.equal(steadyTrend(points((ago) => 600 - 2 * ago), NOW, WINDOW)?.direction, "rising");
});

Deno.test("noise on a flat load is no trend", () => {
  assert.equal(steadyTrend(points((ago) => 1000 + 100 * jitter(ago)), NOW, WINDOW), undefined);
});

Deno.test("a single level shift is no trend: one half of the window stays flat", () => {
  assert.equal(steadyTrend(points((ago) => (ago > 30 ? 1200 : 600)), NOW, WINDOW), undefined);
  assert.equal(steadyTrend(points((ago) => (ago > 90 ? 600 : 1200)), NOW, WINDOW), undefined);
});

Deno.test("a noisy fall is falling, with a bound above the line by the scatter", () => {
  const trend = steadyTrend(points((ago) => 600 + 5 * ago + 30 * jitter(ago)), NOW, WINDOW);
  assert.equal(trend?.direction, "falling");
  assert.ok(trend!.bound > 650, `${trend!.bound}`);
});

Deno.test("too short a history, too few points or unusable points are no trend", () => {
  const fall = points((ago) => 600 + 5 * ago);
  assert.equal(steadyTrend(fall.slice(-8), NOW, WINDOW), undefined);
  assert.equal(steadyTrend(fall.filter((_, i) => i % 5 === 0), NOW, WINDOW), undefined);
  const broken = fall.map((p) => ({ ...p, arrivals: Number.NaN }));
  assert.equal(steadyTrend(broken, NOW, WINDOW), undefined);
});

/**
 * Whether the arrivals rise or fall steadily, and how high they may still reach now.
 *
 * Scale-down stabilisation holds the highest recommendation of its window because an arrival peak may come
 * back: on a noisy or oscillating load the dip that asks for fewer replicas is followed by the next peak. A
 * load that has fallen steadily across the whole window is different: its peak is behind it. Telling the two
 * apart is a regression question — is the fall large against the scatter around it? — so the test is a
 * least-squares line through the window's arrival rates: its slope must differ from zero by more than
 * `TREND_SIGNIFICANCE` standard errors, and each half of the window must slope the same way (a single jump
 * tilts the line but leaves one half flat). Noise on a flat load rarely passes that. A descent that passes
 * may be followed down to the upper prediction bound of the line at `now`; a rise that passes allows no
 * scale-down at all, since any lower count would soon be undone.
 *
 * Arrival rates are the log-end offsets' slope, which no scaling of the group changes: our own rebalances
 * cannot fake or hide a trend.
 *
 * @module
 */

/** Standard errors the fitted slope must be away from zero; also the width of the prediction bound. */
export const TREND_SIGNIFICANCE = 3;
/** Fewer points than this do not make a regression worth trusting (the window then decides alone). */
export const MIN_TREND_POINTS = 6;

/** One recorded arrival rate (ms, events/s). */
export interface ArrivalPoint {
  readonly at: number;
  readonly arrivals: number;
}

/** A steady trend: its direction, the fitted slope (events/s per s), the upper prediction bound at `now`. */
export interface Trend {
  readonly direction: "falling" | "rising";
  readonly slope: number;
  readonly bound: number;
}

/** A least-squares line through points (x in seconds before `now`, negative). */
interface Line {
  readonly n: number;
  readonly slope: number;
  readonly intercept: number;
  /** Standard error of the slope. */
  readonly slopeError: number;
  /** Scatter around the line (residual standard deviation). */
  readonly spread: number;
  readonly meanX: number;
  readonly sxx: number;
}

function fitLine(points: readonly ArrivalPoint[], now: number): Line | undefined {
  const n = points.length;
  if (n < 3) return undefined;
  // Seconds relative to `now` keep the sums small (timestamps are epoch milliseconds).
  const xs = points.map((p) => (p.at - now) / 1000);
  const ys = points.map((p) => p.arrivals);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - meanX) ** 2;
    sxy += (xs[i] - meanX) * (ys[i] - meanY);
  }
  if (!(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  const intercept = meanY - slope * meanX;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (ys[i] - (intercept + slope * xs[i])) ** 2;
  const spread = Math.sqrt(squares / (n - 2));
  return { n, slope, intercept, slopeError: spread / Math.sqrt(sxx), spread, meanX, sxx };
}

/** -1 or 1 for a slope beyond `TREND_SIGNIFICANCE` standard errors, else 0. */
function direction(line: Line | undefined): number {
  if (line === undefined) return 0;
  return Math.abs(line.slope) > TREND_SIGNIFICANCE * line.slopeError ? Math.sign(line.slope) : 0;
}

/**
 * The steady trend `points` show, or undefined when they do not show one clearly: too few points, points
 * spanning less than half of `windowMs` (a fresh history is not a trend yet), a slope within
 * `TREND_SIGNIFICANCE` standard errors of zero over the whole window, or a half of the window sloping the
 * other way or not at all. The halves tell a steady trend from one jump: a level shift tilts a line through
 * the whole window but leaves one half flat.
 */
export function steadyTrend(
  points: readonly ArrivalPoint[],
  now: number,
  windowMs: number,
): Trend | undefined {
  const usable = points.filter((p) => Number.isFinite(p.at) && Number.isFinite(p.arrivals) && p.at <= now);
  if (usable.length < MIN_TREND_POINTS) return undefined;
  const first = Math.min(...usable.map((p) => p.at));
  if (now - first < windowMs / 2) return undefined;
  const line = fitLine(usable, now);
  const sign = direction(line);
  if (line === undefined || sign === 0) return undefined;
  const middle = (first + now) / 2;
  for (const half of [usable.filter((p) => p.at < middle), usable.filter((p) => p.at >= middle)]) {
    if (Math.sign(fitLine(half, now)?.slope ?? 0) !== sign) return undefined;
  }
  // Prediction bound for one new observation at x = 0 (now): the line's own uncertainty plus the scatter.
  const predictionError = line.spread * Math.sqrt(1 + 1 / line.n + line.meanX ** 2 / line.sxx);
  return {
    direction: sign < 0 ? "falling" : "rising",
    slope: line.slope,
    bound: line.intercept + TREND_SIGNIFICANCE * predictionError,
  };
}

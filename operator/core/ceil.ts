/**
 * Integer ceilings that do not round float noise up to one replica more. `(0.1 + 0.2) / 0.1` is
 * 3.0000000000000004 in IEEE doubles; a naive `Math.ceil` turns that into 4 replicas and a needless
 * stop-the-world rebalance.
 *
 * @module
 */

/**
 * A quotient within one part per million above an integer counts as that integer: measured rates are never
 * known to 1 ppm, so the excess is arithmetic noise, not demand.
 */
export const CEIL_TOLERANCE = 1e-6;

/** The smallest integer n ≥ 0 with n·denominator ≥ numerator, ignoring float noise; 0 when numerator ≤ 0. */
export function ceilRatio(numerator: number, denominator: number): number {
  if (!(denominator > 0) || !Number.isFinite(denominator)) {
    throw new RangeError(`ceilRatio: denominator must be a positive finite number, got ${denominator}`);
  }
  if (!(numerator > 0)) return 0;
  if (!Number.isFinite(numerator)) return Number.POSITIVE_INFINITY;
  if (Number.isSafeInteger(numerator) && Number.isSafeInteger(denominator)) {
    // Integer operands (lag / lagPerReplica): exact, no tolerance needed.
    const quotient = Math.floor(numerator / denominator);
    return quotient * denominator >= numerator ? quotient : quotient + 1;
  }
  const quotient = numerator / denominator;
  const below = Math.floor(quotient);
  return quotient - below <= CEIL_TOLERANCE * Math.max(1, quotient) ? below : below + 1;
}

import Decimal from 'decimal.js';

// Costs are exact decimals: enough precision that dividing by 60 never rounds before the final
// 4-place rounding (rates carry at most 8 decimal places, see rate-file.ts).
const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });

/** Decimal places of a call's cost (METRICS.md "Billing"). */
export const COST_SCALE = 4;

/** The increments of a rate: a first block, then blocks of `next` seconds. */
export interface Increments {
  first: number;
  next: number;
}

/**
 * Talk seconds rounded up by the rate's increments (METRICS.md "Billing"):
 * `t <= 0 ? 0 : max(first, first + ceil((t - first) / next) * next)`.
 * 60/60 bills whole minutes, 6/6 six-second blocks, 1/1 per second, 60/30 a first minute then
 * half minutes.
 */
export function billableSeconds(talkSeconds: number, { first, next }: Increments): number {
  if (!Number.isInteger(first) || !Number.isInteger(next) || first < 1 || next < 1)
    throw new RangeError(`increments must be whole seconds >= 1, got ${first}/${next}`);
  if (!(talkSeconds > 0)) return 0;
  return Math.max(first, first + Math.ceil((talkSeconds - first) / next) * next);
}

/**
 * Cost of a call: connect fee + billable minutes × rate per minute, exact, rounded half up to 4
 * decimal places. Money in and out as decimal strings (never floats).
 */
export function callCost(billable: number, ratePerMinute: string, connectFee: string): string {
  return new D(connectFee)
    .plus(new D(ratePerMinute).times(billable).dividedBy(60))
    .toDecimalPlaces(COST_SCALE, Decimal.ROUND_HALF_UP)
    .toFixed(COST_SCALE);
}

/** A decimal string's sum, exact (for totals in tests and reports). */
export function sumDecimals(values: ReadonlyArray<string | null>): string {
  return values.reduce((s: Decimal, v) => (v == null ? s : s.plus(v)), new D(0)).toFixed();
}

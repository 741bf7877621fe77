import { BillingInputError } from './billing.errors';
import { CellError, decimalCell, timeCell, wholeCell } from './fields';

/** Columns of a rate file (CONTRACT.md `rates:import`), in any order, header names case-insensitive. */
export const RATE_COLUMNS = [
  'prefix',
  'description',
  'rate_per_minute',
  'connect_fee',
  'first_increment',
  'next_increment',
] as const;
export const OPTIONAL_RATE_COLUMNS = ['effective_from', 'currency'] as const;
type RateColumn = (typeof RATE_COLUMNS)[number] | (typeof OPTIONAL_RATE_COLUMNS)[number];

/** Decimal places accepted in a rate or connect fee. */
export const RATE_SCALE = 8;
/** Longest increment, seconds. */
export const MAX_INCREMENT = 3600;

/** One validated row of a rate file. */
export interface RateRow {
  /** E.164 digits (a leading '+' and spaces in the file are dropped). */
  prefix: string;
  description: string | null;
  ratePerMinute: string;
  connectFee: string;
  firstIncrement: number;
  nextIncrement: number;
  /** null: in effect for every call (no effective_from given). */
  effectiveFrom: Date | null;
  /** ISO 4217, or null when neither the row nor the import gives one. */
  currency: string | null;
}

/** Where each column sits in the file's header. */
export type RateHeader = Readonly<Record<RateColumn, number | undefined>>;

/** Reads the header row; BillingInputError naming the missing columns otherwise. */
export function rateHeader(fields: readonly string[]): RateHeader {
  const at = new Map(fields.map((f, i) => [f.trim().toLowerCase(), i]));
  const missing = RATE_COLUMNS.filter((c) => !at.has(c));
  if (missing.length)
    throw new BillingInputError(
      'file',
      `the rate file's header lacks ${missing.join(', ')} (expected ${RATE_COLUMNS.join(',')}[,effective_from,currency])`,
    );
  return Object.fromEntries([...RATE_COLUMNS, ...OPTIONAL_RATE_COLUMNS].map((c) => [c, at.get(c)])) as RateHeader;
}

/** Options for reading rate rows: the zone of times without offset, the currency of rows without one. */
export interface RateRowContext {
  timezone: string;
  currency: string | null;
}

/**
 * Validates one row of a rate file: the row, or the reasons it is rejected (every bad cell named).
 * Empty connect_fee means 0; empty effective_from means "always"; empty currency takes the
 * import's. Times without an offset (and dates alone, at midnight) are read in the tenant's zone.
 */
export function parseRateRow(fields: readonly string[], header: RateHeader, ctx: RateRowContext): RateRow | string {
  const cell = (c: RateColumn) => {
    const i = header[c];
    return i === undefined ? '' : (fields[i] ?? '').trim();
  };
  const problems: string[] = [];
  const take = <T>(v: T | CellError): T | null => {
    if (v instanceof CellError) {
      problems.push(v.reason);
      return null;
    }
    return v;
  };

  const prefixText = cell('prefix').replace(/^\+/, '').replace(/[\s-]/g, '');
  const prefix = /^\d{1,15}$/.test(prefixText) ? prefixText : null;
  if (!prefix) problems.push(`prefix: ${JSON.stringify(cell('prefix'))} is not 1 to 15 digits`);
  const description = cell('description');
  if (description.length > 500) problems.push('description: longer than 500 characters');
  const rate = cell('rate_per_minute');
  const ratePerMinute =
    rate === ''
      ? (problems.push('rate_per_minute: empty'), null)
      : take(decimalCell('rate_per_minute', rate, { maxScale: RATE_SCALE }));
  const fee = cell('connect_fee');
  const connectFee = fee === '' ? '0' : take(decimalCell('connect_fee', fee, { maxScale: RATE_SCALE }));
  const firstIncrement = take(wholeCell('first_increment', cell('first_increment'), 1, MAX_INCREMENT));
  const nextIncrement = take(wholeCell('next_increment', cell('next_increment'), 1, MAX_INCREMENT));
  const from = cell('effective_from');
  const effectiveFrom = from === '' ? null : take(timeCell('effective_from', from, 'iso', ctx.timezone));
  const code = cell('currency');
  let currency = ctx.currency;
  if (code !== '') {
    if (/^[A-Za-z]{3}$/.test(code)) currency = code.toUpperCase();
    else problems.push(`currency: ${JSON.stringify(code)} is not a three-letter ISO 4217 code`);
  }
  if (problems.length) return problems.join('; ');
  return {
    prefix: prefix!,
    description: description || null,
    ratePerMinute: ratePerMinute!,
    connectFee: connectFee!,
    firstIncrement: firstIncrement!,
    nextIncrement: nextIncrement!,
    effectiveFrom,
    currency,
  };
}

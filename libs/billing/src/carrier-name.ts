import { BillingInputError } from './billing.errors';

/** A carrier name as rates, calls and carrier files use it: trimmed, 1–100 characters, exact case. */
export function carrierName(value: unknown, field = 'carrier'): string {
  const name = typeof value === 'string' ? value.trim() : '';
  if (name.length === 0 || name.length > 100)
    throw new BillingInputError(field, `${field} must be a carrier name of 1 to 100 characters`);
  return name;
}

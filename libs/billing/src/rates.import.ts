import { Readable } from 'node:stream';
import { Queryable, UnknownTenantError } from '@app/platform';
import { BillingInputError } from './billing.errors';
import { lockRating, rerateCarrier } from './call-costs.writer';
import { carrierName } from './carrier-name';
import { readCsv } from './csv-reader';
import { RateRow, parseRateRow, rateHeader } from './rate-file';

const BATCH = 5000;
/** Rejected rows listed in the answer and kept with the import (the count is always exact). */
export const MAX_LISTED_REJECTS = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RateImportInput {
  tenantId: string;
  carrier: string;
  /** The CSV bytes (streamed: 100k prefixes never sit in memory as text). */
  input: Readable;
  fileName?: string | null;
  /** Currency of rows without one (else the carrier's current plan currency, else none). */
  currency?: string | null;
}

/** A rejected row: its line in the file (header = line 1) and why. */
export interface RejectedLine {
  line: number;
  reason: string;
}

export interface RateImportResult {
  importId: string;
  imported: number;
  rejected: number;
  /** Calls of this carrier whose cost was recomputed with the new rates. */
  rerated: number;
  /** The first MAX_LISTED_REJECTS rejected rows. */
  errors: RejectedLine[];
}

const UPSERT = `
INSERT INTO rates (tenant_id, carrier, prefix, effective_from, description, rate_per_minute, connect_fee,
                   first_increment, next_increment, currency, import_id)
SELECT $1, $2, u.prefix, u.effective_from, u.description, u.rate, u.fee, u.first_increment, u.next_increment, u.currency, $3
FROM unnest($4::text[], $5::timestamptz[], $6::text[], $7::numeric[], $8::numeric[], $9::int[], $10::int[], $11::text[])
  AS u(prefix, effective_from, description, rate, fee, first_increment, next_increment, currency)
ON CONFLICT (tenant_id, carrier, prefix, effective_from) DO UPDATE SET
  description = EXCLUDED.description, rate_per_minute = EXCLUDED.rate_per_minute, connect_fee = EXCLUDED.connect_fee,
  first_increment = EXCLUDED.first_increment, next_increment = EXCLUDED.next_increment,
  currency = EXCLUDED.currency, import_id = EXCLUDED.import_id`;

/**
 * Imports a carrier's rate plan for a tenant in the caller's transaction: valid rows are upserted
 * by (prefix, effective_from) — a row for an existing prefix and date replaces it — and rows with
 * a problem are rejected with their line number; then every call of the carrier from the earliest
 * imported effective_from on is re-rated (costs replaced, never added).
 *
 * One currency per carrier: a row whose currency differs from the plan's (the carrier's existing
 * rates, else `currency`, else the file's first) is rejected. Rows without one take the plan's.
 * Holds the tenant's exclusive rating lock until the caller commits.
 */
export async function importRates(client: Queryable, input: RateImportInput): Promise<RateImportResult> {
  const carrier = carrierName(input.carrier);
  if (!UUID.test(input.tenantId)) throw new BillingInputError('tenant', 'tenant must be a tenant id (UUID)');
  let currency: string | null = null;
  if (input.currency != null) {
    if (!/^[A-Za-z]{3}$/.test(input.currency))
      throw new BillingInputError('currency', 'currency must be a three-letter ISO 4217 code like AUD');
    currency = input.currency.toUpperCase();
  }
  const { rows: tenants } = await client.query<{ timezone: string }>('SELECT timezone FROM tenants WHERE id = $1', [
    input.tenantId,
  ]);
  if (!tenants.length) throw new UnknownTenantError(input.tenantId);
  await lockRating(client, [input.tenantId], 'exclusive');

  const { rows: plan } = await client.query<{ currency: string }>(
    `SELECT DISTINCT currency FROM rates WHERE tenant_id = $1 AND carrier = $2 AND currency IS NOT NULL LIMIT 2`,
    [input.tenantId, carrier],
  );
  let planCurrency: string | null = plan[0]?.currency ?? null;
  if (planCurrency && currency && planCurrency !== currency)
    throw new BillingInputError(
      'currency',
      `currency ${currency} differs from the currency of ${carrier}'s rate plan (${planCurrency}); one currency per carrier`,
    );
  planCurrency ??= currency;

  const { rows: created } = await client.query<{ id: string }>(
    `INSERT INTO rate_imports (tenant_id, carrier, file_name) VALUES ($1, $2, $3) RETURNING id`,
    [input.tenantId, carrier, input.fileName ?? null],
  );
  const importId = created[0].id;

  const { records } = readCsv(input.input);
  let header: ReturnType<typeof rateHeader> | null = null;
  const seen = new Map<string, number>();
  const errors: RejectedLine[] = [];
  let rejected = 0;
  let imported = 0;
  // Calls from the earliest imported effective_from on are re-rated (all calls when a row has none).
  let always = false;
  let earliest: Date | undefined;
  let batch: RateRow[] = [];
  const reject = (line: number, reason: string) => {
    rejected++;
    if (errors.length < MAX_LISTED_REJECTS) errors.push({ line, reason });
  };
  const flush = async () => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    await client.query(UPSERT, [
      input.tenantId,
      carrier,
      importId,
      rows.map((r) => r.prefix),
      rows.map((r) => r.effectiveFrom ?? '-infinity'),
      rows.map((r) => r.description),
      rows.map((r) => r.ratePerMinute),
      rows.map((r) => r.connectFee),
      rows.map((r) => r.firstIncrement),
      rows.map((r) => r.nextIncrement),
      rows.map((r) => r.currency ?? planCurrency),
    ]);
    imported += rows.length;
  };

  for await (const record of records) {
    if (!header) {
      if (record.kind === 'defect') throw new BillingInputError('file', `line ${record.line}: ${record.reason}`);
      header = rateHeader(record.fields);
      continue;
    }
    if (record.kind === 'defect') {
      reject(record.line, record.reason);
      continue;
    }
    const row = parseRateRow(record.fields, header, { timezone: tenants[0].timezone, currency: null });
    if (typeof row === 'string') {
      reject(record.line, row);
      continue;
    }
    if (row.currency) {
      planCurrency ??= row.currency;
      if (row.currency !== planCurrency) {
        reject(record.line, `currency: ${row.currency} differs from the carrier's rate plan currency ${planCurrency}`);
        continue;
      }
    }
    const key = `${row.prefix}@${row.effectiveFrom?.getTime() ?? '-'}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      reject(record.line, `prefix ${row.prefix} with this effective_from is already on line ${earlier}`);
      continue;
    }
    seen.set(key, record.line);
    if (!row.effectiveFrom) always = true;
    else if (!earliest || row.effectiveFrom < earliest) earliest = row.effectiveFrom;
    batch.push(row);
    if (batch.length >= BATCH) await flush();
  }
  if (!header) throw new BillingInputError('file', 'the rate file is empty (expected a header row)');
  await flush();
  // Rows read before the plan's currency was known take it now.
  if (planCurrency)
    await client.query(`UPDATE rates SET currency = $3 WHERE tenant_id = $1 AND carrier = $2 AND currency IS NULL`, [
      input.tenantId,
      carrier,
      planCurrency,
    ]);
  const rerated = imported
    ? await rerateCarrier(client, input.tenantId, carrier, always ? null : (earliest ?? null))
    : 0;
  await client.query(
    `UPDATE rate_imports SET imported = $3, rejected = $4, rerated = $5, rejects = $6 WHERE tenant_id = $1 AND id = $2`,
    [input.tenantId, importId, imported, rejected, rerated, JSON.stringify(errors)],
  );
  return { importId, imported, rejected, rerated, errors };
}

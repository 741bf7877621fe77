import { Readable } from 'node:stream';
import { Queryable, UnknownTenantError } from '@app/platform';
import { BillingInputError } from './billing.errors';
import { carrierName } from './carrier-name';
import {
  CarrierColumns,
  CarrierMapping,
  CarrierRecord,
  carrierColumns,
  carrierMapping,
  parseCarrierRecord,
} from './carrier-file';
import { readCsv } from './csv-reader';
import { normaliseNumber } from './phone-numbers';
import { RejectedLine } from './rates.import';

const BATCH = 5000;
/** Rejected rows listed in the answer (all of them are kept in carrier_rejects). */
export const MAX_LISTED_CARRIER_REJECTS = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CarrierImportInput {
  tenantId: string;
  carrier: string;
  input: Readable;
  /** A mapping, its JSON text, or null for the default columns. */
  mapping?: CarrierMapping | string | null;
  fileName?: string | null;
  /** Largest accepted file (FileTooLargeError beyond, nothing kept). */
  maxBytes?: number;
}

/** CONTRACT.md `carrier:import`: `{importId, imported, rejected}`, plus what a second import of a file finds. */
export interface CarrierImportResult {
  importId: string;
  imported: number;
  rejected: number;
  /** True when this exact file was already imported for the carrier: nothing new was stored. */
  duplicate: boolean;
  /** The first rejected rows (line and reason); all of them are kept in carrier_rejects. */
  errors: RejectedLine[];
}

const INSERT_RECORDS = `
INSERT INTO carrier_records (tenant_id, import_id, carrier, line, carrier_call_id, started_at, from_raw, to_raw,
                             from_number, to_number, duration_seconds, cost)
SELECT $1, $2, $3, u.*
FROM unnest($4::int[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::numeric[])
  AS u(line, carrier_call_id, started_at, from_raw, to_raw, from_number, to_number, duration_seconds, cost)`;

const INSERT_REJECTS = `
INSERT INTO carrier_rejects (tenant_id, import_id, line, reason, raw)
SELECT $1, $2, u.* FROM unnest($3::int[], $4::text[], $5::text[]) AS u(line, reason, raw)
ON CONFLICT DO NOTHING`;

type Existing = { id: string; imported: number; rejected: number };

/**
 * Imports a carrier's CDR file in the caller's transaction, streaming: records are parsed with the
 * mapping, numbers normalised to E.164 (tenant's country), and written in batches; rows that
 * cannot be read are kept in carrier_rejects with their line and reason. The file's SHA-256 is
 * its identity per carrier: importing the same bytes again stores nothing and answers the first
 * import (`duplicate: true`), also when two uploads of it race.
 *
 * Works as the application role and as `cdr_api` under row-level security (HTTP uploads).
 */
export async function importCarrierFile(client: Queryable, input: CarrierImportInput): Promise<CarrierImportResult> {
  const carrier = carrierName(input.carrier);
  if (!UUID.test(input.tenantId)) throw new BillingInputError('tenant', 'tenant must be a tenant id (UUID)');
  const mapping =
    typeof input.mapping === 'object' && input.mapping !== null ? input.mapping : carrierMapping(input.mapping);
  const { rows: tenants } = await client.query<{ country: string | null }>(
    'SELECT country FROM tenants WHERE id = $1',
    [input.tenantId],
  );
  if (!tenants.length) throw new UnknownTenantError(input.tenantId);
  const country = tenants[0].country;

  await client.query('SAVEPOINT carrier_import');
  const { rows: created } = await client.query<{ id: string }>(
    `INSERT INTO carrier_imports (tenant_id, carrier, file_name, mapping) VALUES ($1, $2, $3, $4) RETURNING id`,
    [input.tenantId, carrier, input.fileName ?? null, JSON.stringify(mapping)],
  );
  const importId = created[0].id;

  const { records, digest } = readCsv(input.input, { delimiter: mapping.delimiter, maxBytes: input.maxBytes });
  let columns: CarrierColumns | null = mapping.header ? null : carrierColumns(mapping, null);
  let imported = 0;
  let rejected = 0;
  const errors: RejectedLine[] = [];
  let good: Array<CarrierRecord & { line: number }> = [];
  let bad: Array<{ line: number; reason: string; raw: string }> = [];
  let first: Date | null = null;
  let last: Date | null = null;

  const flush = async () => {
    if (good.length) {
      const rows = good;
      good = [];
      await client.query(INSERT_RECORDS, [
        input.tenantId,
        importId,
        carrier,
        rows.map((r) => r.line),
        rows.map((r) => r.callId),
        rows.map((r) => r.startedAt),
        rows.map((r) => r.fromRaw),
        rows.map((r) => r.toRaw),
        rows.map((r) => normaliseNumber(r.fromRaw, country)),
        rows.map((r) => normaliseNumber(r.toRaw, country)),
        rows.map((r) => r.durationSeconds),
        rows.map((r) => r.cost),
      ]);
      imported += rows.length;
    }
    if (bad.length) {
      const rows = bad;
      bad = [];
      await client.query(INSERT_REJECTS, [
        input.tenantId,
        importId,
        rows.map((r) => r.line),
        rows.map((r) => r.reason),
        rows.map((r) => r.raw),
      ]);
    }
  };
  const reject = (line: number, reason: string, raw: string) => {
    rejected++;
    if (errors.length < MAX_LISTED_CARRIER_REJECTS) errors.push({ line, reason });
    bad.push({ line, reason, raw });
  };

  for await (const record of records) {
    if (!columns) {
      if (record.kind === 'defect') throw new BillingInputError('file', `line ${record.line}: ${record.reason}`);
      columns = carrierColumns(mapping, record.fields);
      continue;
    }
    if (record.kind === 'defect') {
      reject(record.line, record.reason, record.raw);
    } else {
      const parsed = parseCarrierRecord(record.fields, columns, mapping);
      if (typeof parsed === 'string') reject(record.line, parsed, record.raw);
      else {
        good.push({ ...parsed, line: record.line });
        if (!first || parsed.startedAt < first) first = parsed.startedAt;
        if (!last || parsed.startedAt > last) last = parsed.startedAt;
      }
    }
    if (good.length + bad.length >= BATCH) await flush();
  }
  const { sha256, bytes } = digest();
  if (bytes === 0) throw new BillingInputError('file', 'the carrier file is empty');
  if (!columns) throw new BillingInputError('file', 'the carrier file has no header row');
  await flush();

  const duplicate = async (): Promise<CarrierImportResult | null> => {
    const { rows } = await client.query<Existing>(
      `SELECT id, imported, rejected FROM carrier_imports
       WHERE tenant_id = $1 AND carrier = $2 AND sha256 = $3 AND id <> $4`,
      [input.tenantId, carrier, sha256, importId],
    );
    if (!rows.length) return null;
    await client.query('ROLLBACK TO SAVEPOINT carrier_import');
    return {
      importId: rows[0].id,
      imported: rows[0].imported,
      rejected: rows[0].rejected,
      duplicate: true,
      errors: [],
    };
  };
  const earlier = await duplicate();
  if (earlier) return earlier;
  try {
    await client.query(
      `UPDATE carrier_imports SET sha256 = $3, bytes = $4, imported = $5, rejected = $6, first_start = $7, last_start = $8
       WHERE tenant_id = $1 AND id = $2`,
      [input.tenantId, importId, sha256, bytes, imported, rejected, first, last],
    );
  } catch (error) {
    // The same file committed by a concurrent upload while this one was being read.
    if ((error as { code?: string }).code !== '23505') throw error;
    await client.query('ROLLBACK TO SAVEPOINT carrier_import');
    const raced = await duplicate();
    if (raced) return raced;
    throw error;
  }
  await client.query('RELEASE SAVEPOINT carrier_import');
  return { importId, imported, rejected, duplicate: false, errors };
}

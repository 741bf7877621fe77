import { z } from 'zod';
import { BillingInputError } from './billing.errors';
import { CellError, TimeFormat, decimalCell, isZone, timeCell } from './fields';

/** The fields of a carrier CDR, and the default column of each (CONTRACT.md `carrier:import`). */
export const CARRIER_FIELDS = ['call_id', 'start_time', 'from', 'to', 'duration', 'cost'] as const;
export type CarrierField = (typeof CARRIER_FIELDS)[number];
const REQUIRED: readonly CarrierField[] = ['start_time', 'to', 'duration'];

/** Longest accepted duration (a week): longer values are a unit or column mistake. */
const MAX_DURATION_SECONDS = 7 * 86_400;
const COST_SCALE = 10;

/** How to read a carrier's file: where each field is and how its values are written. */
export interface CarrierMapping {
  /** Column name in the header, 0-based column index, or null when the file has no such column. */
  columns: Readonly<Record<CarrierField, string | number | null | undefined>>;
  header: boolean;
  delimiter: string;
  timeFormat: TimeFormat;
  /** Zone of times written without an offset. */
  timezone: string;
  durationUnit: 'seconds' | 'milliseconds' | 'minutes';
  decimalSeparator: '.' | ',';
}

const column = z.union([z.string().trim().min(1).max(200), z.number().int().min(0).max(999), z.null()]);
const mappingSchema = z
  .object({
    call_id: column.optional(),
    start_time: column.optional(),
    from: column.optional(),
    to: column.optional(),
    duration: column.optional(),
    cost: column.optional(),
    header: z.boolean().optional(),
    delimiter: z
      .string()
      .refine((d) => [',', ';', '\t', '|'].includes(d), { message: 'expected one of , ; | or a tab' })
      .optional(),
    time_format: z.string().trim().min(1).max(100).optional(),
    timezone: z.string().refine(isZone, { message: 'expected an IANA time zone like Europe/London' }).optional(),
    duration_unit: z.enum(['seconds', 'milliseconds', 'minutes']).optional(),
    decimal_separator: z.enum(['.', ',']).optional(),
  })
  .strict();

/** The documented keys of a mapping, for error messages and docs. */
export const MAPPING_KEYS = Object.keys(mappingSchema.shape);

/**
 * A mapping from its JSON form (CLI `--mapping`, HTTP `mapping` parameter); undefined or `{}`
 * is the default (CONTRACT.md columns by name, ISO 8601 or Unix times in UTC, seconds, '.').
 * Throws BillingInputError('mapping', …) naming each problem.
 */
export function carrierMapping(json?: string | null): CarrierMapping {
  let value: unknown = {};
  if (json != null && json.trim() !== '') {
    try {
      value = JSON.parse(json);
    } catch {
      throw new BillingInputError('mapping', 'mapping is not valid JSON');
    }
  }
  const parsed = mappingSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown key ${i.keys.map((k) => JSON.stringify(k)).join(', ')} (known: ${MAPPING_KEYS.join(', ')})`
        : `${i.path.join('.') || 'mapping'}: ${i.message}`,
    );
    throw new BillingInputError('mapping', `mapping: ${problems.join('; ')}`);
  }
  const m = parsed.data;
  const header = m.header ?? true;
  const columns = Object.fromEntries(
    CARRIER_FIELDS.map((f, i) => [f, f in m ? m[f] : header ? undefined : i]),
  ) as Record<CarrierField, string | number | null | undefined>;
  for (const f of REQUIRED)
    if (columns[f] === null) throw new BillingInputError('mapping', `mapping: ${f} is required and cannot be null`);
  if (!header)
    for (const f of CARRIER_FIELDS)
      if (typeof columns[f] === 'string')
        throw new BillingInputError('mapping', `mapping: ${f} must be a column index (0-based) when header is false`);
  const tf = m.time_format;
  return {
    columns,
    header,
    delimiter: m.delimiter ?? ',',
    timeFormat:
      !tf || tf === 'auto' ? 'auto' : tf === 'iso' || tf === 'epoch' || tf === 'epoch_ms' ? tf : { pattern: tf },
    timezone: m.timezone ?? 'UTC',
    durationUnit: m.duration_unit ?? 'seconds',
    decimalSeparator: m.decimal_separator ?? '.',
  };
}

/** Column index of every field (null: not in the file). */
export type CarrierColumns = Readonly<Record<CarrierField, number | null>>;

/**
 * Places each field in the file: by header name (case-insensitive) or index. A field left out of
 * the mapping takes its default name when the header has it. BillingInputError when a named
 * column is missing or a required field has no column.
 */
export function carrierColumns(mapping: CarrierMapping, headerFields: readonly string[] | null): CarrierColumns {
  const at = new Map((headerFields ?? []).map((f, i) => [f.trim().toLowerCase(), i]));
  const out = {} as Record<CarrierField, number | null>;
  const problems: string[] = [];
  for (const f of CARRIER_FIELDS) {
    const c = mapping.columns[f];
    if (typeof c === 'number') out[f] = c;
    else if (typeof c === 'string') {
      const i = at.get(c.toLowerCase());
      if (i === undefined) problems.push(`column ${JSON.stringify(c)} (${f}) is not in the header`);
      out[f] = i ?? null;
    } else out[f] = c === undefined ? (at.get(f) ?? null) : null;
    if (out[f] === null && REQUIRED.includes(f) && !problems.some((p) => p.includes(`(${f})`)))
      problems.push(`no ${f} column (name it ${f} or map it)`);
  }
  if (problems.length) throw new BillingInputError('file', `the carrier file's columns: ${problems.join('; ')}`);
  return out;
}

/** One carrier CDR as read from its file. */
export interface CarrierRecord {
  callId: string | null;
  startedAt: Date;
  fromRaw: string | null;
  toRaw: string;
  durationSeconds: number;
  /** Decimal string as billed (credits may be negative); null when the file gives none. */
  cost: string | null;
}

const UNIT_SECONDS = { seconds: 1, milliseconds: 0.001, minutes: 60 } as const;

function durationCell(value: string, unit: CarrierMapping['durationUnit']): number | CellError {
  const text = value.trim();
  if (text === '') return new CellError('duration: empty');
  let seconds: number;
  const hms = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/.exec(text) ?? /^()(\d{1,4}):([0-5]\d)$/.exec(text);
  if (hms) seconds = Number(hms[1] || 0) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  else if (/^\d{1,12}(\.\d{1,6})?$/.test(text)) {
    // Whole seconds, half up (as talk seconds are); scaled in integers to avoid float drift.
    const [whole, fraction = ''] = text.split('.');
    const micro = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
    const scaled = micro * BigInt(Math.round(UNIT_SECONDS[unit] * 1000)); // in nano-seconds
    seconds = Number((scaled + 500_000_000n) / 1_000_000_000n);
  } else return new CellError(`duration: ${JSON.stringify(text.slice(0, 40))} is not a number of ${unit} or H:MM:SS`);
  if (seconds > MAX_DURATION_SECONDS) return new CellError(`duration: ${text} is longer than a week`);
  return seconds;
}

/** Reads one record: the CarrierRecord, or the reasons it is rejected. */
export function parseCarrierRecord(
  fields: readonly string[],
  columns: CarrierColumns,
  mapping: CarrierMapping,
): CarrierRecord | string {
  const cell = (f: CarrierField): string | undefined => {
    const i = columns[f];
    return i === null ? '' : fields[i]?.trim();
  };
  const problems: string[] = [];
  const take = <T>(v: T | CellError): T | null => (v instanceof CellError ? (problems.push(v.reason), null) : v);
  const used = CARRIER_FIELDS.map((f) => columns[f]).filter((i): i is number => i !== null);
  if (fields.length <= Math.max(...used))
    return `the row has ${fields.length} field${fields.length === 1 ? '' : 's'}, the file's columns need ${Math.max(...used) + 1}`;

  const callId = cell('call_id') || null;
  if (callId && callId.length > 200) problems.push('call_id: longer than 200 characters');
  const startedAt = take(timeCell('start_time', cell('start_time') ?? '', mapping.timeFormat, mapping.timezone));
  const fromRaw = cell('from') || null;
  const toRaw = cell('to') ?? '';
  if (toRaw === '') problems.push('to: empty');
  const durationSeconds = take(durationCell(cell('duration') ?? '', mapping.durationUnit));
  const costText = cell('cost') ?? '';
  const cost =
    costText === ''
      ? null
      : take(
          decimalCell('cost', costText, { maxScale: COST_SCALE, signed: true, separator: mapping.decimalSeparator }),
        );
  if ((fromRaw?.length ?? 0) > 100 || toRaw.length > 100) problems.push('from/to: longer than 100 characters');
  if (problems.length) return problems.join('; ');
  return { callId, startedAt: startedAt!, fromRaw, toRaw, durationSeconds: durationSeconds!, cost };
}

import { Readable, pipeline } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import { CALL_FIELDS, CallField, callsSql, callsWhere, validCallFilter, validRange } from '@app/reporting';
import { CopyArgs } from '../csv/copy-args';
import { PgBinaryCsv } from '../csv/pg-binary-csv';
import { ExportReportDefinition, ReportContext } from './report';

/** A field as binary COPY must send it for its kind (see PgBinaryCsv). */
function wire(f: CallField): string {
  switch (f.kind) {
    case 'uuid':
      return `(${f.sql})::uuid`;
    case 'int':
      return `(${f.sql})::int4`;
    case 'timestamp':
      return `(${f.sql})::timestamptz`;
    default:
      return `(${f.sql})::text`;
  }
}

const SELECT = CALL_FIELDS.map(wire).join(', ');

/**
 * Calls: every scalar field of GraphQL's `Call`, one row per call, newest first — the calls
 * listing's own SQL (libs/reporting callsWhere/callsSql over CALL_FIELDS) without its page limit
 * and count, streamed by binary COPY with constant memory.
 */
export const callsReport: ExportReportDefinition = {
  report: 'CALLS',
  slug: 'calls',
  columns: Object.freeze(CALL_FIELDS.map((f) => Object.freeze({ name: f.name, kind: f.kind }))),
  check(_spec, period) {
    if (period) validRange(period.from, period.to);
  },
  async body({ db, tenantId, spec, period, writer }: ReportContext): Promise<Readable> {
    const filter = validCallFilter({ ...spec.filter, from: period?.from, to: period?.to });
    const args = new CopyArgs();
    const sql = callsSql(SELECT, callsWhere(tenantId, filter, args.bind));
    await args.apply(db);
    const copy = db.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`));
    const csv = new PgBinaryCsv(callsReport.columns, writer);
    // An error on either side ends both, and reaches whoever reads `csv`.
    return pipeline(copy, csv, () => undefined);
  },
};

import { Readable } from 'node:stream';
import { PoolClient } from 'pg';
import { CsvColumn, CsvWriter } from '../csv/csv-writer';
import { ExportReportName, ExportSpec } from '../export-request';
import { Period } from '../schedule/relative-range';

/** What a report needs to write its rows. */
export interface ReportContext {
  /** A read-only session of the tenant under row-level security (TenantDb.stream). */
  db: PoolClient;
  tenantId: string;
  spec: ExportSpec;
  /** Null only for RECONCILIATION (its run has the period). */
  period: Period | null;
  /** The export's zone: intervals, relative periods and every timestamp's offset. */
  zone: string;
  /** The header is already in it. */
  writer: CsvWriter;
}

/**
 * One exportable report: its fixed columns, its parameter checks, and its rows. Adding a report
 * is adding one of these to the registry (reports/registry.ts).
 */
export interface ExportReportDefinition {
  readonly report: ExportReportName;
  /** In file names and the CLI: `calls`, `queue-stats`, ... */
  readonly slug: string;
  /** The header and the kind of every column, in order (docs/exports.md lists them). */
  readonly columns: readonly CsvColumn[];
  /** The report's own parameter checks once the period is known (ReportInputError). Pure. */
  check(spec: ExportSpec, period: Period | null): void;
  /** The CSV bytes: the writer's header, then every row, written through `ctx.writer`. */
  body(ctx: ReportContext): Promise<Readable>;
}

/**
 * A body from rows already read (the interval reports, bounded by their range limits): each row
 * an object whose properties are named like the columns, written a chunk at a time.
 */
export function rowsBody(
  writer: CsvWriter,
  columns: readonly CsvColumn[],
  rows: Iterable<object> | AsyncIterable<object>,
): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    for await (const row of rows) {
      const record = row as Record<string, unknown>;
      for (const c of columns) writer.value(c.kind, record[c.name]);
      writer.endRow();
      yield* writer.take();
    }
    yield* writer.take(true);
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The columns of a GraphQL type's fields, in order: `[name, kind]` pairs. */
export function columns(...pairs: Array<[string, CsvColumn['kind']]>): readonly CsvColumn[] {
  return Object.freeze(pairs.map(([name, kind]) => Object.freeze({ name, kind })));
}

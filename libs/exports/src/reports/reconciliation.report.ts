import { Readable } from 'node:stream';
import { Queryable } from '@app/platform';
import { ReportInputError, allReconciliationItems, reconciliationRun } from '@app/reporting';
import { ExportUnavailableError } from '../exports.errors';
import { Period } from '../schedule/relative-range';
import { ExportReportDefinition, ReportContext, columns, rowsBody } from './report';

/**
 * The period of a finished reconciliation run of the tenant: what a RECONCILIATION export
 * covers (and names its file by). A clear input error for an unknown or unfinished run.
 */
export async function reconciliationPeriod(db: Queryable, tenantId: string, runId: string): Promise<Period> {
  const run = await reconciliationRun(db, tenantId, runId);
  if (!run) throw new ReportInputError('reconciliationRunId', `no reconciliation run ${runId}`);
  if (run.status !== 'SUCCEEDED')
    throw new ReportInputError(
      'reconciliationRunId',
      `reconciliation run ${runId} is ${run.status}: export it once its status is SUCCEEDED`,
    );
  return { from: run.from, to: run.to };
}

/**
 * Reconciliation results: GraphQL `reconciliationItems` of one run, every item in the run's
 * order (read in pages, so memory stays flat whatever the run's size).
 */
export const reconciliationReport: ExportReportDefinition = {
  report: 'RECONCILIATION',
  slug: 'reconciliation',
  columns: columns(
    ['status', 'text'],
    ['matchedBy', 'text'],
    ['callId', 'uuid'],
    ['carrierCallId', 'text'],
    ['from', 'text'],
    ['to', 'text'],
    ['startedAt', 'timestamp'],
    ['carrierStartedAt', 'timestamp'],
    ['ourSeconds', 'int'],
    ['carrierSeconds', 'int'],
    ['expectedCost', 'decimal'],
    ['carrierCost', 'decimal'],
    ['difference', 'decimal'],
    ['carrierImportId', 'uuid'],
    ['carrierLine', 'int'],
  ),
  check() {},
  async body(ctx: ReportContext): Promise<Readable> {
    const runId = ctx.spec.reconciliationRunId;
    if (!runId) throw new ExportUnavailableError('a RECONCILIATION export needs reconciliationRunId');
    try {
      await reconciliationPeriod(ctx.db, ctx.tenantId, runId);
    } catch (error) {
      if (error instanceof ReportInputError) throw new ExportUnavailableError(error.message);
      throw error;
    }
    return rowsBody(ctx.writer, reconciliationReport.columns, allReconciliationItems(ctx.db, ctx.tenantId, runId));
  },
};

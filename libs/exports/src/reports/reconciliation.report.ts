import { Readable } from 'node:stream';
import { ExportUnavailableError } from '../exports.errors';
import { ExportReportDefinition, columns } from './report';

/**
 * Reconciliation results: GraphQL `reconciliationItems` of one run. Billing (which owns the
 * reconciliation tables and query) is not part of this build yet, so such a run fails with a
 * clear reason instead of writing a file.
 */
export const reconciliationReport: ExportReportDefinition = {
  report: 'RECONCILIATION',
  slug: 'reconciliation',
  columns: columns(
    ['status', 'text'],
    ['callId', 'uuid'],
    ['carrierCallId', 'text'],
    ['from', 'text'],
    ['to', 'text'],
    ['startedAt', 'timestamp'],
    ['ourSeconds', 'int'],
    ['carrierSeconds', 'int'],
    ['expectedCost', 'decimal'],
    ['carrierCost', 'decimal'],
  ),
  check() {},
  body(): Promise<Readable> {
    return Promise.reject(new ExportUnavailableError('reconciliation exports need billing'));
  },
};

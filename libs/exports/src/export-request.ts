import {
  CallFilter,
  GRANULARITIES,
  Granularity,
  ReportInputError,
  isUuid,
  validCallFilter,
  validZone,
} from '@app/reporting';
import { Period, RELATIVE_RANGES, RelativeRange, relativePeriod } from './schedule/relative-range';

/** CONTRACT.md `ExportReport`. */
export const EXPORT_REPORTS = ['CALLS', 'QUEUE_STATS', 'AGENT_STATS', 'AGENT_TIMELINE', 'RECONCILIATION'] as const;
export type ExportReportName = (typeof EXPORT_REPORTS)[number];

/** Most queues or agents one export may name. */
export const MAX_EXPORT_NAMES = 1000;
/** Most agents one AGENT_TIMELINE export may name (each is one timeline query). */
export const MAX_TIMELINE_AGENTS = 100;

/** CONTRACT.md `ExportRequest` as received (GraphQL input, CLI options or stored JSON). */
export interface ExportRequestInput {
  report: string;
  from?: Date | string | null;
  to?: Date | string | null;
  range?: string | null;
  timezone?: string | null;
  granularity?: string | null;
  filter?: CallFilter | null;
  queues?: readonly string[] | null;
  agents?: readonly string[] | null;
  reconciliationRunId?: string | null;
  gzip?: boolean | null;
}

/** The call filter of a CALLS export (its period is the export's). */
export type ExportCallFilter = Omit<CallFilter, 'from' | 'to'>;

/**
 * A validated export request, JSON-safe (dates as ISO strings): what a run or a schedule stores.
 * The period is fixed (`from`/`to`) or relative (`range`, resolved when the export is due); the
 * zone is the request's, else the schedule's or the tenant's.
 */
export interface ExportSpec {
  report: ExportReportName;
  from: string | null;
  to: string | null;
  range: RelativeRange | null;
  timezone: string | null;
  granularity: Granularity | null;
  filter: ExportCallFilter | null;
  queues: string[] | null;
  agents: string[] | null;
  reconciliationRunId: string | null;
  gzip: boolean;
}

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

function dateField(field: string, value: Date | string | null | undefined): Date | null {
  if (value == null) return null;
  const date = typeof value === 'string' && ISO_WITH_OFFSET.test(value) ? new Date(value) : value;
  if (!(date instanceof Date) || Number.isNaN(date.getTime()))
    throw new ReportInputError(field, `${field} is not a valid date (ISO 8601 with offset)`);
  return date;
}

function names(field: string, value: readonly string[] | null | undefined, max: number): string[] | null {
  if (value == null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > max)
    throw new ReportInputError(field, `${field} must list 1 to ${max} names`);
  return value.map((v) => {
    const text = typeof v === 'string' ? v.trim() : '';
    if (text.length === 0 || text.length > 200)
      throw new ReportInputError(field, `${field} must hold non-empty names of at most 200 characters`);
    return text;
  });
}

function only(report: ExportReportName, field: string, value: unknown, allowed: readonly ExportReportName[]): void {
  if (value != null && !allowed.includes(report))
    throw new ReportInputError(field, `${field} applies to ${allowed.join(' and ')} exports only, not ${report}`);
}

/**
 * Checks an export request (every problem as ReportInputError naming the field). For a schedule
 * (`schedule: true`) the period must be a relative `range`.
 */
export function validExportRequest(input: ExportRequestInput, opts: { schedule?: boolean } = {}): ExportSpec {
  if (typeof input !== 'object' || input === null)
    throw new ReportInputError('request', 'an export request is required');
  const report = input.report as ExportReportName;
  if (!EXPORT_REPORTS.includes(report))
    throw new ReportInputError('report', `report must be one of ${EXPORT_REPORTS.join(', ')}`);

  const range = input.range ?? null;
  if (range !== null && !RELATIVE_RANGES.includes(range as RelativeRange))
    throw new ReportInputError('range', `range must be one of ${RELATIVE_RANGES.join(', ')}`);
  const from = dateField('from', input.from);
  const to = dateField('to', input.to);
  if (report === 'RECONCILIATION') {
    if (from || to || range)
      throw new ReportInputError(
        from ? 'from' : to ? 'to' : 'range',
        'a RECONCILIATION export covers the period of its reconciliation run: give reconciliationRunId, not from, to or range',
      );
    if (!isUuid(input.reconciliationRunId))
      throw new ReportInputError('reconciliationRunId', 'a RECONCILIATION export needs reconciliationRunId (a UUID)');
  } else {
    only(report, 'reconciliationRunId', input.reconciliationRunId, ['RECONCILIATION']);
    if (range && (from || to)) throw new ReportInputError('range', 'give either from and to, or range, not both');
    if (opts.schedule && !range)
      throw new ReportInputError(
        'range',
        `a schedule exports a period relative to each run: give range (${RELATIVE_RANGES.join(', ')}), not from/to`,
      );
    if (!range) {
      if (!from) throw new ReportInputError('from', 'from and to (or range) are required');
      if (!to) throw new ReportInputError('to', 'to is required with from');
      if (from.getTime() >= to.getTime()) throw new ReportInputError('to', 'from must be before to');
    }
  }

  const timezone = input.timezone == null ? null : validZone(input.timezone);

  only(report, 'granularity', input.granularity, ['QUEUE_STATS', 'AGENT_STATS']);
  const granularity = (input.granularity ?? null) as Granularity | null;
  if (report === 'QUEUE_STATS' || report === 'AGENT_STATS') {
    if (granularity === null) throw new ReportInputError('granularity', `a ${report} export needs granularity`);
    if (!GRANULARITIES.includes(granularity))
      throw new ReportInputError('granularity', `granularity must be one of ${GRANULARITIES.join(', ')}`);
  }

  only(report, 'filter', input.filter, ['CALLS']);
  let filter: ExportCallFilter | null = null;
  if (input.filter != null) {
    if (input.filter.from != null || input.filter.to != null)
      throw new ReportInputError(
        input.filter.from != null ? 'filter.from' : 'filter.to',
        'the period of an export is its from/to or range, not filter.from/filter.to',
      );
    const f = validCallFilter(input.filter);
    filter = Object.fromEntries(
      Object.entries({
        direction: f.direction,
        disposition: f.disposition,
        status: f.status,
        queue: f.queue,
        agent: f.agent,
        number: f.numbers?.[0] ?? null,
        sourceId: f.sourceId,
      }).filter(([, v]) => v !== null),
    );
  }

  only(report, 'queues', input.queues, ['QUEUE_STATS']);
  const queues = names('queues', input.queues, MAX_EXPORT_NAMES);
  only(report, 'agents', input.agents, ['AGENT_STATS', 'AGENT_TIMELINE']);
  const agents = names('agents', input.agents, report === 'AGENT_TIMELINE' ? MAX_TIMELINE_AGENTS : MAX_EXPORT_NAMES);
  if (report === 'AGENT_TIMELINE' && !agents)
    throw new ReportInputError('agents', 'an AGENT_TIMELINE export needs agents (the extension numbers to export)');

  if (input.gzip != null && typeof input.gzip !== 'boolean')
    throw new ReportInputError('gzip', 'gzip must be true or false');

  return {
    report,
    from: from?.toISOString() ?? null,
    to: to?.toISOString() ?? null,
    range: range as RelativeRange | null,
    timezone,
    granularity,
    filter,
    queues,
    agents,
    reconciliationRunId: report === 'RECONCILIATION' ? input.reconciliationRunId!.toLowerCase() : null,
    gzip: input.gzip ?? false,
  };
}

/**
 * The period an export covers: its fixed from/to, or its range before `at` (the time a schedule
 * was due, or now) on the wall clock of `zone`. Null for a RECONCILIATION export.
 */
export function exportPeriod(spec: ExportSpec, zone: string, at: Date): Period | null {
  if (spec.range) return relativePeriod(spec.range, at, zone);
  if (spec.from && spec.to) return { from: new Date(spec.from), to: new Date(spec.to) };
  return null;
}

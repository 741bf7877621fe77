import { ExportReportName } from '../export-request';
import { callsReport } from './calls.report';
import { agentStatsReport, agentTimelineReport, queueStatsReport } from './interval.reports';
import { reconciliationReport } from './reconciliation.report';
import { ExportReportDefinition } from './report';

/** Every exportable report, by CONTRACT.md `ExportReport`. */
export const REPORTS: Readonly<Record<ExportReportName, ExportReportDefinition>> = Object.freeze({
  CALLS: callsReport,
  QUEUE_STATS: queueStatsReport,
  AGENT_STATS: agentStatsReport,
  AGENT_TIMELINE: agentTimelineReport,
  RECONCILIATION: reconciliationReport,
});

/** The report a CLI slug names (`calls`, `queue-stats`, ...), or undefined. */
export function reportBySlug(slug: string): ExportReportDefinition | undefined {
  return Object.values(REPORTS).find((r) => r.slug === slug);
}

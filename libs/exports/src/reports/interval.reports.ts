import { MAX_TIMELINE_DAYS, ReportInputError, agentStats, agentTimeline, queueStats, validRange } from '@app/reporting';
import { Readable } from 'node:stream';
import { ExportReportDefinition, ReportContext, columns, rowsBody } from './report';

/** The period of a report that needs one (all but RECONCILIATION). */
function periodOf(ctx: ReportContext) {
  if (!ctx.period) throw new Error(`${ctx.spec.report} export without a period`);
  return ctx.period;
}

/** Queue stats: GraphQL `queueStats` with the same arguments, one row per queue and interval. */
export const queueStatsReport: ExportReportDefinition = {
  report: 'QUEUE_STATS',
  slug: 'queue-stats',
  columns: columns(
    ['queue', 'text'],
    ['intervalStart', 'timestamp'],
    ['offered', 'int'],
    ['answered', 'int'],
    ['answeredWithinSla', 'int'],
    ['abandoned', 'int'],
    ['shortAbandoned', 'int'],
    ['timedOut', 'int'],
    ['callbacks', 'int'],
    ['serviceLevel', 'float'],
    ['abandonRate', 'float'],
    ['averageWaitSeconds', 'float'],
    ['maxWaitSeconds', 'int'],
    ['averageAbandonWaitSeconds', 'float'],
    ['averageTalkSeconds', 'float'],
    ['averageHandleSeconds', 'float'],
  ),
  check(spec, period) {
    if (period) validRange(period.from, period.to, spec.granularity!);
  },
  async body(ctx: ReportContext): Promise<Readable> {
    const { from, to } = periodOf(ctx);
    const rows = await queueStats(ctx.db, ctx.tenantId, {
      from,
      to,
      granularity: ctx.spec.granularity!,
      timezone: ctx.zone,
      queues: ctx.spec.queues,
    });
    return rowsBody(ctx.writer, queueStatsReport.columns, rows);
  },
};

/** Agent stats: GraphQL `agentStats` with the same arguments, one row per agent and interval. */
export const agentStatsReport: ExportReportDefinition = {
  report: 'AGENT_STATS',
  slug: 'agent-stats',
  columns: columns(
    ['agent', 'text'],
    ['intervalStart', 'timestamp'],
    ['loggedInSeconds', 'int'],
    ['readySeconds', 'int'],
    ['notReadySeconds', 'int'],
    ['wrapUpSeconds', 'int'],
    ['ringSeconds', 'int'],
    ['talkSeconds', 'int'],
    ['holdSeconds', 'int'],
    ['callsAnswered', 'int'],
    ['callsMissed', 'int'],
    ['occupancy', 'float'],
  ),
  check(spec, period) {
    if (period) validRange(period.from, period.to, spec.granularity!);
  },
  async body(ctx: ReportContext): Promise<Readable> {
    const { from, to } = periodOf(ctx);
    const rows = await agentStats(ctx.db, ctx.tenantId, {
      from,
      to,
      granularity: ctx.spec.granularity!,
      timezone: ctx.zone,
      agents: ctx.spec.agents,
    });
    return rowsBody(ctx.writer, agentStatsReport.columns, rows);
  },
};

/**
 * Agent timeline: GraphQL `agentTimeline` for each agent of the request, in the order given (one
 * query per agent, read as the file is written).
 */
export const agentTimelineReport: ExportReportDefinition = {
  report: 'AGENT_TIMELINE',
  slug: 'agent-timeline',
  columns: columns(
    ['agent', 'text'],
    ['layer', 'text'],
    ['state', 'text'],
    ['queue', 'text'],
    ['callId', 'uuid'],
    ['startedAt', 'timestamp'],
    ['endedAt', 'timestamp'],
  ),
  check(_spec, period) {
    if (!period) return;
    validRange(period.from, period.to);
    if (period.to.getTime() - period.from.getTime() > MAX_TIMELINE_DAYS * 86_400_000)
      throw new ReportInputError('to', `the range may span at most ${MAX_TIMELINE_DAYS} days`);
  },
  body(ctx: ReportContext): Promise<Readable> {
    const { from, to } = periodOf(ctx);
    const agents = ctx.spec.agents ?? [];
    async function* rows() {
      for (const agent of agents) yield* await agentTimeline(ctx.db, ctx.tenantId, agent, from, to);
    }
    return Promise.resolve(rowsBody(ctx.writer, agentTimelineReport.columns, rows()));
  },
};

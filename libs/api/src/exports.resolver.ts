import { Args, Context, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ExportRunRecord, ExportScheduleView, ExportService } from '@app/exports';
import { ApiContext, tenantDb } from './context';
import { ExportRequest, ExportRun, ExportSchedule, ExportScheduleInput } from './export.models';
import { RunStatus } from './models';

const INT_MAX = 2 ** 31 - 1;
const int32 = (n: number | null): number | null => (n !== null && n <= INT_MAX ? n : null);

export function toExportRun(r: ExportRunRecord): ExportRun {
  return {
    id: r.id,
    report: r.report,
    status: r.status as RunStatus,
    rowCount: int32(r.rowCount),
    bytes: int32(r.bytes),
    sha256: r.sha256,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
    downloadPath: r.status === 'SUCCEEDED' ? `/exports/${r.id}/download` : null,
    createdAt: r.createdAt,
    from: r.from,
    to: r.to,
    timezone: r.timezone,
    scheduleId: r.scheduleId,
    fileName: r.status === 'SUCCEEDED' ? r.fileName : null,
    attempts: r.attempts,
  };
}

function toSchedule(s: ExportScheduleView): ExportSchedule {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    nextRunAt: s.nextRunAt,
    report: s.report,
    range: s.spec.range,
    createdAt: s.createdAt,
  };
}

/** CSV exports: runs on request, schedules, and the runs' status. */
@Resolver(() => ExportRun)
export class ExportsResolver {
  constructor(private readonly exports: ExportService) {}

  @Query(() => ExportRun, { nullable: true })
  async exportRun(@Context() ctx: ApiContext, @Args('id', { type: () => ID }) id: string): Promise<ExportRun | null> {
    const run = await this.exports.getRun(tenantDb(ctx), id);
    return run && toExportRun(run);
  }

  @Query(() => [ExportRun], { description: 'Newest first; `after`: the id of the last run of the previous page.' })
  async exportRuns(
    @Context() ctx: ApiContext,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<ExportRun[]> {
    return (await this.exports.listRuns(tenantDb(ctx), first, after)).map(toExportRun);
  }

  @Query(() => [ExportSchedule])
  async exportSchedules(@Context() ctx: ApiContext): Promise<ExportSchedule[]> {
    return (await this.exports.listSchedules(tenantDb(ctx))).map(toSchedule);
  }

  @Mutation(() => ExportRun, { description: 'Queues an export; follow it with exportRun(id).' })
  async runExport(
    @Context() ctx: ApiContext,
    @Args('input', { type: () => ExportRequest }) input: ExportRequest,
  ): Promise<ExportRun> {
    return toExportRun(await this.exports.requestRun(tenantDb(ctx), input));
  }

  @Mutation(() => ExportSchedule)
  async createExportSchedule(
    @Context() ctx: ApiContext,
    @Args('input', { type: () => ExportScheduleInput }) input: ExportScheduleInput,
  ): Promise<ExportSchedule> {
    return toSchedule(await this.exports.createSchedule(tenantDb(ctx), input));
  }

  @Mutation(() => Boolean, { description: 'False when there is no such schedule. Its runs and files are kept.' })
  deleteExportSchedule(@Context() ctx: ApiContext, @Args('id', { type: () => ID }) id: string): Promise<boolean> {
    return this.exports.deleteSchedule(tenantDb(ctx), id);
  }
}

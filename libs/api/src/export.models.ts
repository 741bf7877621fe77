import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { EXPORT_REPORTS, RELATIVE_RANGES } from '@app/exports';
import { CallFilter, Granularity, RunStatus } from './models';

/** GraphQL models of CSV exports (CONTRACT.md), separate from the export_runs rows. */

const enumOf = <T extends string>(values: readonly T[]) =>
  Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };

export const ExportReport = enumOf(EXPORT_REPORTS);
export type ExportReport = (typeof EXPORT_REPORTS)[number];
export const RelativeRange = enumOf(RELATIVE_RANGES);
export type RelativeRange = (typeof RELATIVE_RANGES)[number];

registerEnumType(ExportReport, { name: 'ExportReport' });
registerEnumType(RelativeRange, {
  name: 'RelativeRange',
  description: 'The whole hour, day, week (from Monday) or month before the current one, in the export’s zone.',
});

@InputType({ description: 'What to export: a report, its period (from/to or range) and its parameters.' })
export class ExportRequest {
  @Field(() => ExportReport) report!: ExportReport;
  @Field(() => GraphQLISODateTime, { nullable: true }) from?: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) to?: Date;
  @Field(() => RelativeRange, { nullable: true }) range?: RelativeRange;
  @Field(() => String, {
    nullable: true,
    description: 'IANA zone of intervals, relative periods and timestamps; default: the schedule’s, else the tenant’s.',
  })
  timezone?: string;
  @Field(() => Granularity, { nullable: true, description: 'QUEUE_STATS and AGENT_STATS only (required there).' })
  granularity?: Granularity;
  @Field(() => CallFilter, { nullable: true, description: 'CALLS only; without from/to (the export’s period).' })
  filter?: CallFilter;
  @Field(() => [String], { nullable: true, description: 'QUEUE_STATS only.' }) queues?: string[];
  @Field(() => [String], { nullable: true, description: 'AGENT_STATS; AGENT_TIMELINE (required).' })
  agents?: string[];
  @Field(() => ID, { nullable: true, description: 'RECONCILIATION only (required there).' })
  reconciliationRunId?: string;
  @Field(() => Boolean, { nullable: true, description: 'Compress the file with gzip (`.csv.gz`); default false.' })
  gzip?: boolean;
}

@InputType()
export class ExportScheduleInput {
  @Field() name!: string;
  @Field({ description: 'Cron expression: 5 fields, or 6 with leading seconds.' }) cron!: string;
  @Field({ description: 'IANA zone the cron expression and the relative periods are read in.' }) timezone!: string;
  @Field(() => ExportRequest, { description: 'With a relative range (not from/to).' }) request!: ExportRequest;
}

@ObjectType()
export class ExportSchedule {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() cron!: string;
  @Field() timezone!: string;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'In the past while no worker runs (overdue).' })
  nextRunAt!: Date | null;
  @Field(() => ExportReport) report!: ExportReport;
  @Field(() => RelativeRange, { nullable: true }) range!: RelativeRange | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
}

@ObjectType()
export class ExportRun {
  @Field(() => ID) id!: string;
  @Field(() => ExportReport) report!: ExportReport;
  @Field(() => RunStatus) status!: RunStatus;
  @Field(() => Int, { nullable: true }) rowCount!: number | null;
  @Field(() => Int, { nullable: true, description: 'Size of the file as downloaded (null from 2 GiB on).' })
  bytes!: number | null;
  @Field(() => String, { nullable: true, description: 'SHA-256 of the file as downloaded (hex).' })
  sha256!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) finishedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why the run failed (or why the last attempt did).' })
  error!: string | null;
  @Field(() => String, { nullable: true, description: '`/exports/<id>/download` once SUCCEEDED.' })
  downloadPath!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) from!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) to!: Date | null;
  @Field() timezone!: string;
  @Field(() => ID, { nullable: true }) scheduleId!: string | null;
  @Field(() => String, { nullable: true }) fileName!: string | null;
  @Field(() => Int) attempts!: number;
}

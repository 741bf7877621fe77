import { Args, Context, GraphQLISODateTime, Query, Resolver } from '@nestjs/graphql';
import { agentStats, agentTimeline, extensions, queueStats } from '@app/reporting';
import { ApiContext, tenantDb } from './context';
import { AgentIntervalStats, AgentSegment, Extension, Granularity, QueueIntervalStats } from './models';

/** Interval statistics, agent timelines and the extension directory (libs/reporting queries). */
@Resolver()
export class ReportsResolver {
  @Query(() => [QueueIntervalStats])
  queueStats(
    @Context() ctx: ApiContext,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('granularity', { type: () => Granularity }) granularity: Granularity,
    @Args('timezone', { type: () => String, nullable: true }) timezone?: string,
    @Args('queues', { type: () => [String], nullable: true }) queues?: string[],
  ): Promise<QueueIntervalStats[]> {
    const db = tenantDb(ctx);
    return db.run((c) => queueStats(c, db.tenantId, { from, to, granularity, timezone, queues }));
  }

  @Query(() => [AgentIntervalStats])
  agentStats(
    @Context() ctx: ApiContext,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('granularity', { type: () => Granularity }) granularity: Granularity,
    @Args('timezone', { type: () => String, nullable: true }) timezone?: string,
    @Args('agents', { type: () => [String], nullable: true }) agents?: string[],
  ): Promise<AgentIntervalStats[]> {
    const db = tenantDb(ctx);
    return db.run((c) => agentStats(c, db.tenantId, { from, to, granularity, timezone, agents }));
  }

  @Query(() => [AgentSegment])
  agentTimeline(
    @Context() ctx: ApiContext,
    @Args('agent') agent: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
  ): Promise<AgentSegment[]> {
    const db = tenantDb(ctx);
    return db.run((c) => agentTimeline(c, db.tenantId, agent, from, to)) as Promise<AgentSegment[]>;
  }

  @Query(() => [Extension])
  extensions(@Context() ctx: ApiContext): Promise<Extension[]> {
    const db = tenantDb(ctx);
    return db.run((c) => extensions(c, db.tenantId));
  }
}

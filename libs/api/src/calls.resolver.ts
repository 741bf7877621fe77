import { Args, Context, ID, Info, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { CallRow, getCallsByIds, listCalls } from '@app/reporting';
import { ApiContext, tenantDb } from './context';
import { Call, CallConnection, CallFilter, CallLeg, StoredEvent } from './models';

/** `calls` and `call(id)`, with legs and the stored-event timeline batched per request. */
@Resolver(() => Call)
export class CallsResolver {
  @Query(() => CallConnection)
  async calls(
    @Context() ctx: ApiContext,
    @Args('filter', { type: () => CallFilter, nullable: true }) filter?: CallFilter,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 50 }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<CallConnection> {
    const db = tenantDb(ctx);
    const withTotalCount = !info || info.fieldNodes.some((f) => selects(f.selectionSet, 'totalCount', info));
    const page = await db.run((c) =>
      listCalls(c, db.tenantId, { filter: filter ?? {}, first, after: after ?? null, withTotalCount }),
    );
    return {
      edges: page.rows.map((row) => ({ cursor: row.cursor, node: toCall(row) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      // Not asked for, so not counted; GraphQL never reads it then.
      totalCount: page.totalCount ?? 0,
    };
  }

  @Query(() => Call, { nullable: true })
  async call(@Context() ctx: ApiContext, @Args('id', { type: () => ID }) id: string): Promise<Call | null> {
    const db = tenantDb(ctx);
    const found = await db.run((c) => getCallsByIds(c, db.tenantId, [id]));
    const row = found.get(id);
    return row ? toCall(row) : null;
  }

  @ResolveField(() => [CallLeg])
  legs(@Parent() call: Call, @Context() ctx: ApiContext): Promise<CallLeg[]> {
    tenantDb(ctx);
    return ctx.loaders!.legs.load(call.id);
  }

  @ResolveField(() => [StoredEvent])
  events(@Parent() call: Call, @Context() ctx: ApiContext): Promise<StoredEvent[]> {
    tenantDb(ctx);
    return ctx.loaders!.events.load(call.id);
  }
}

function toCall(row: CallRow): Call {
  const { cursor: _cursor, ...fields } = row as CallRow & { cursor?: string };
  return { ...(fields as unknown as Call), legs: [], events: [] };
}

/** Whether a selection set asks for `field` directly or through fragments (a cycle-free walk). */
function selects(
  set: SelectionSetNode | undefined,
  field: string,
  info: GraphQLResolveInfo,
  seen = new Set<string>(),
): boolean {
  for (const s of set?.selections ?? []) {
    if (s.kind === Kind.FIELD && s.name.value === field) return true;
    if (s.kind === Kind.INLINE_FRAGMENT && selects(s.selectionSet, field, info, seen)) return true;
    if (s.kind === Kind.FRAGMENT_SPREAD && !seen.has(s.name.value)) {
      seen.add(s.name.value);
      if (selects(info.fragments[s.name.value]?.selectionSet, field, info, seen)) return true;
    }
  }
  return false;
}

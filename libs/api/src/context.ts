import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { Pool } from 'pg';
import { CallLegRow, StoredEventRow, eventsForCalls, legsForCalls } from '@app/reporting';
import { TenantDb } from './tenant-db';

/** What every resolver gets: the caller's tenant database and per-request batch loaders. */
export interface ApiContext {
  db: TenantDb | null;
  loaders: {
    legs: DataLoader<string, CallLegRow[]>;
    events: DataLoader<string, StoredEventRow[]>;
  } | null;
}

/** Builds the request context from the tenant the authentication hook found (null: none). */
export function apiContext(pool: Pool, tenantId: string | null): ApiContext {
  if (!tenantId) return { db: null, loaders: null };
  const db = new TenantDb(pool, tenantId);
  // One query per kind for all the calls of a response (no N+1), missing ids as empty lists.
  const batch =
    <T>(load: (ids: string[]) => Promise<Map<string, T[]>>) =>
    async (ids: readonly string[]): Promise<T[][]> => {
      const found = await load([...ids]);
      return ids.map((id) => found.get(id) ?? []);
    };
  return {
    db,
    loaders: {
      legs: new DataLoader(batch((ids) => db.run((c) => legsForCalls(c, tenantId, ids)))),
      events: new DataLoader(batch((ids) => db.run((c) => eventsForCalls(c, tenantId, ids)))),
    },
  };
}

/** The tenant database of an authenticated request (the hook already answered 401 otherwise). */
export function tenantDb(ctx: ApiContext): TenantDb {
  if (!ctx.db) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
  return ctx.db;
}

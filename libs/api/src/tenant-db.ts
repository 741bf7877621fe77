import { Pool, PoolClient } from 'pg';
import { withTransaction } from '@app/platform';

/**
 * Runs report queries for one tenant under row-level security: a read-only transaction as role
 * `cdr_api` with the tenant in `cdr.tenant_id`, so PostgreSQL itself hides every other tenant's
 * rows whatever the query says (migration ApiKeysRls1764000006000).
 */
export class TenantDb {
  constructor(
    private readonly pool: Pool,
    readonly tenantId: string,
  ) {}

  run<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION READ ONLY; SET LOCAL ROLE cdr_api');
      await client.query(`SELECT set_config('cdr.tenant_id', $1, true)`, [this.tenantId]);
      return fn(client);
    });
  }
}

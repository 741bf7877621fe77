import { Pool, PoolClient } from 'pg';
import { withTransaction } from '@app/platform';

/**
 * Runs queries for one tenant under row-level security: a transaction as role `cdr_api` with the
 * tenant in `cdr.tenant_id`, so PostgreSQL itself hides every other tenant's rows whatever the
 * query says (migration ApiKeysRls1764000006000).
 */
export class TenantDb {
  constructor(
    private readonly pool: Pool,
    readonly tenantId: string,
  ) {}

  /** A read-only transaction: every report query runs here. */
  run<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction('READ ONLY', fn);
  }

  /**
   * A read-write transaction for mutations. `cdr_api` may only write the tables a migration
   * grants it, through policies whose `WITH CHECK` pins `tenant_id` to the caller's tenant.
   */
  write<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transaction('READ WRITE', fn);
  }

  private transaction<T>(mode: 'READ ONLY' | 'READ WRITE', fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await client.query(`SET TRANSACTION ${mode}; SET LOCAL ROLE cdr_api`);
      await client.query(`SELECT set_config('cdr.tenant_id', $1, true)`, [this.tenantId]);
      return fn(client);
    });
  }
}

import { Pool, PoolClient } from 'pg';
import { withTransaction } from '../database/pg-pool';

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

  /**
   * A read-only transaction for a long streamed read (COPY ... TO STDOUT). When `fn` fails the
   * connection is closed instead of returned to the pool: a COPY broken off half-way leaves it
   * in a state no ROLLBACK can be sent in.
   */
  async stream<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await this.enter(client, 'READ ONLY');
      const result = await fn(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  private transaction<T>(mode: 'READ ONLY' | 'READ WRITE', fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await this.enter(client, mode);
      return fn(client);
    });
  }

  private async enter(client: PoolClient, mode: 'READ ONLY' | 'READ WRITE'): Promise<void> {
    await client.query(`SET TRANSACTION ${mode}; SET LOCAL ROLE cdr_api`);
    await client.query(`SELECT set_config('cdr.tenant_id', $1, true)`, [this.tenantId]);
  }
}

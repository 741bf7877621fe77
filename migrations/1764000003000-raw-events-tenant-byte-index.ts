import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Projection runners read one tenant partition at a time. Without an index on the partition
 * byte the planner cannot estimate that filter and scans the whole table per batch.
 */
export class RawEventsTenantByteIndex1764000003000 implements MigrationInterface {
  name = 'RawEventsTenantByteIndex1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX raw_events_tenant_byte_tx_idx ON raw_events ((get_byte(uuid_send(tenant_id), 15)), tx_id, position)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX raw_events_tenant_byte_tx_idx`);
  }
}

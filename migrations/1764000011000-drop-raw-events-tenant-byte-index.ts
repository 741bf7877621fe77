import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The (tenant byte, tx_id, position) index is no longer read: partition reads walk the
 * (tx_id, position) index in order (EventStore.readPage, inIndexOrder), since any plan through the
 * byte index must read and sort every event of the partition after the checkpoint. It only cost
 * every append one more index entry (and an expression to compute).
 */
export class DropRawEventsTenantByteIndex1764000011000 implements MigrationInterface {
  name = 'DropRawEventsTenantByteIndex1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS raw_events_tenant_byte_tx_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX raw_events_tenant_byte_tx_idx ON raw_events ((get_byte(uuid_send(tenant_id), 15)), tx_id, position)`,
    );
  }
}

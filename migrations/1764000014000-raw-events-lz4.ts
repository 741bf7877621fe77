import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * lz4 instead of pglz for the two large columns of raw_events (`raw`, `payload`). A row whose
 * event is over about 1 KB (PortSIP's `call_cdr`, most VoIPcloud CDRs) passes PostgreSQL's
 * 2 KB TOAST threshold with its bytes and their jsonb copy, so every such append compressed it:
 * pglz was 6 % of PostgreSQL's CPU under the 50-event-array webhook load (perf, 7 December),
 * and projections decompress the same rows again. lz4 compresses several times faster at a
 * similar ratio.
 *
 * PostgreSQL 15 does not pass SET COMPRESSION on to existing partitions, so each is altered;
 * partitions created later (`ensure_raw_events_partitions`, PARTITION OF) take the parent's.
 * Rows already stored keep pglz; both read the same. A server built without lz4 (the bundled
 * embedded PostgreSQL of `npm start` is one) keeps pglz: the migration then does nothing.
 */
export class RawEventsLz41764000014000 implements MigrationInterface {
  name = 'RawEventsLz41764000014000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(setCompression('lz4'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(setCompression('pglz'));
  }
}

function setCompression(method: 'lz4' | 'pglz'): string {
  return `
    DO $$
    DECLARE rel regclass;
    BEGIN
      FOR rel IN
        SELECT 'raw_events'::regclass
        UNION ALL
        SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'raw_events'::regclass
      LOOP
        EXECUTE format(
          'ALTER TABLE %s ALTER COLUMN raw SET COMPRESSION ${method}, ALTER COLUMN payload SET COMPRESSION ${method}',
          rel
        );
      END LOOP;
    EXCEPTION WHEN feature_not_supported THEN
      RAISE NOTICE 'raw_events keeps pglz: %', SQLERRM;
    END $$`;
}

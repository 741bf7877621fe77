import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * queue_hour_stats.numbers: each rollup row's numbers as the text the queueStats report reads
 * (libs/reporting QUEUE_STATS_NUMBERS: the hour's start in epoch milliseconds, then the counters,
 * comma-separated, an empty item for a NULL max_wait), kept by PostgreSQL itself as a stored
 * generated column. A month of 50 queues by hour is some 20,000 rows; printing seventeen numbers
 * per row at query time was most of the query's time in PostgreSQL, reading stored text is a
 * fifth of it. The projection's writes are unchanged (PostgreSQL computes the column on insert).
 *
 * cdr_epoch_ms is declared IMMUTABLE, which extract() on a timestamptz is not in general (most
 * fields depend on the session's TimeZone), but the epoch does not: it is the same instant in
 * every zone, so the stored text never depends on a setting.
 */
export class QueueHourNumbers1764000010000 implements MigrationInterface {
  name = 'QueueHourNumbers1764000010000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION cdr_epoch_ms(timestamptz) RETURNS bigint
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
      AS $$ SELECT floor(extract(epoch FROM $1) * 1000)::bigint $$`);
    const numbers = [
      'cdr_epoch_ms(bucket_start)',
      'offered',
      'answered',
      'answered_within_sla',
      'abandoned',
      'short_abandoned',
      'timed_out',
      'callbacks',
      'sum_answer_wait',
      'answered_with_wait',
      `coalesce(max_wait::text, '')`,
      'sum_abandon_wait',
      'abandoned_with_wait',
      'sum_talk',
      'answered_with_talk',
      'sum_handle',
      'answered_with_handle',
    ]
      .map((n) => (n.startsWith('coalesce') ? n : `(${n})::text`))
      .join(` || ',' || `);
    await q.query(`ALTER TABLE queue_hour_stats ADD COLUMN numbers text GENERATED ALWAYS AS (${numbers}) STORED`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE queue_hour_stats DROP COLUMN numbers`);
    await q.query(`DROP FUNCTION cdr_epoch_ms(timestamptz)`);
  }
}

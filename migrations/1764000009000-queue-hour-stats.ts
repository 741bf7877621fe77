import { MigrationInterface, QueryRunner } from 'typeorm';

const TENANT = `nullif(current_setting('cdr.tenant_id', true), '')::uuid`;

/**
 * queue_hour_stats: queue_interval_stats summed into the hours of each tenant's own time zone, so
 * that reports by hour, day, week or month in that zone read a quarter of the rows. A row's
 * `bucket_start` is the instant its local hour began (for Asia/Kolkata 02:30Z is 08:00 local):
 * `bucket_start - (minute of the local time)` of each 15-minute bucket it holds. The projection
 * keeps it in step with queue_interval_stats in the same transaction (libs/projections
 * queue-stats.writer.ts) and rebuilds a tenant's rows when its zone changes; reports use it only
 * where it gives exactly the 15-minute answer (libs/reporting hourRollupUsable).
 */
export class QueueHourStats1764000009000 implements MigrationInterface {
  name = 'QueueHourStats1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE queue_hour_stats (LIKE queue_interval_stats INCLUDING ALL)`);
    await q.query(`
      INSERT INTO queue_hour_stats (tenant_id, queue, bucket_start, offered, answered, answered_within_sla, abandoned,
                                    short_abandoned, timed_out, callbacks, sum_answer_wait, answered_with_wait, max_wait,
                                    sum_abandon_wait, abandoned_with_wait, sum_talk, answered_with_talk, sum_handle,
                                    answered_with_handle)
      SELECT s.tenant_id, s.queue,
             s.bucket_start - make_interval(mins => extract(minute FROM s.bucket_start AT TIME ZONE t.timezone)::int),
             sum(offered), sum(answered), sum(answered_within_sla), sum(abandoned), sum(short_abandoned), sum(timed_out),
             sum(callbacks), sum(sum_answer_wait), sum(answered_with_wait), max(max_wait), sum(sum_abandon_wait),
             sum(abandoned_with_wait), sum(sum_talk), sum(answered_with_talk), sum(sum_handle), sum(answered_with_handle)
      FROM queue_interval_stats s JOIN tenants t ON t.id = s.tenant_id
      GROUP BY 1, 2, 3
    `);
    await q.query(`GRANT SELECT ON queue_hour_stats TO cdr_api`);
    await q.query(`ALTER TABLE queue_hour_stats ENABLE ROW LEVEL SECURITY`);
    await q.query(
      `CREATE POLICY tenant_isolation ON queue_hour_stats FOR SELECT TO cdr_api USING (tenant_id = ${TENANT})`,
    );
    await q.query(`CREATE POLICY app_all ON queue_hour_stats TO cdr_app USING (true) WITH CHECK (true)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE queue_hour_stats`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Queue read models (METRICS.md "Queues"), all rebuildable from raw_events:
 * - queue_mappings: PortSIP queue_id → queue number, learnt from queue_status;
 * - queue_event_calls: which calls a PortSIP queue payload naming several callers speaks of;
 * - queue_attempts: one row per caller entering one queue (or ring group) once;
 * - queue_interval_stats: additive counters per tenant, queue and 15-minute UTC bucket of the
 *   enter time, under the tenant's thresholds (ratios are derived when reading, so they roll up);
 * - queue_sla_breaches: PortSIP queue_sla_breached notifications.
 */
export class Queues1764000004000 implements MigrationInterface {
  name = 'Queues1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE queue_mappings (
        tenant_id    uuid        NOT NULL,
        source_id    uuid        NOT NULL,
        queue_id     text        NOT NULL,
        queue_number text        NOT NULL,
        queue_name   text,
        learnt_at    timestamptz NOT NULL,
        position     bigint      NOT NULL,
        PRIMARY KEY (source_id, queue_id)
      )
    `);
    await q.query(`
      CREATE TABLE queue_event_calls (
        tenant_id   uuid        NOT NULL,
        source_id   uuid        NOT NULL,
        call_key    text        NOT NULL,
        position    bigint      NOT NULL,
        tx_id       xid8        NOT NULL,
        PRIMARY KEY (tenant_id, source_id, call_key, position)
      )
    `);
    await q.query(`
      CREATE TABLE queue_attempts (
        tenant_id     uuid        NOT NULL,
        source_id     uuid        NOT NULL,
        call_key      text        NOT NULL,
        attempt_key   text        NOT NULL,
        kind          text        NOT NULL CHECK (kind IN ('queue', 'ring_group')),
        queue         text        NOT NULL,
        entered_at    timestamptz NOT NULL,
        bucket_start  timestamptz NOT NULL,
        left_at       timestamptz,
        outcome       text        NOT NULL CHECK (outcome IN ('ANSWERED', 'ABANDONED', 'TIMED_OUT', 'CALLBACK', 'WAITING')),
        wait_seconds  int,
        answered_by   text,
        talk_seconds  int,
        callback      boolean     NOT NULL,
        PRIMARY KEY (tenant_id, source_id, call_key, attempt_key)
      )
    `);
    await q.query(`CREATE INDEX queue_attempts_bucket_idx ON queue_attempts (tenant_id, queue, bucket_start)`);
    await q.query(`CREATE INDEX queue_attempts_label_idx ON queue_attempts (source_id, queue)`);
    await q.query(`
      CREATE TABLE queue_interval_stats (
        tenant_id             uuid        NOT NULL,
        queue                 text        NOT NULL,
        bucket_start          timestamptz NOT NULL,
        offered               int         NOT NULL,
        answered              int         NOT NULL,
        answered_within_sla   int         NOT NULL,
        abandoned             int         NOT NULL,
        short_abandoned       int         NOT NULL,
        timed_out             int         NOT NULL,
        callbacks             int         NOT NULL,
        sum_answer_wait       bigint      NOT NULL,
        answered_with_wait    int         NOT NULL,
        max_wait              int,
        sum_abandon_wait      bigint      NOT NULL,
        abandoned_with_wait   int         NOT NULL,
        sum_talk              bigint      NOT NULL,
        answered_with_talk    int         NOT NULL,
        sum_handle            bigint      NOT NULL,
        answered_with_handle  int         NOT NULL,
        PRIMARY KEY (tenant_id, bucket_start, queue)
      )
    `);
    await q.query(`
      CREATE TABLE queue_sla_breaches (
        tenant_id              uuid        NOT NULL,
        source_id              uuid        NOT NULL,
        position               bigint      NOT NULL,
        queue_id               text        NOT NULL,
        caller                 text,
        total_callers_breached int,
        sla_seconds            int,
        waiting_callers        int,
        occurred_at            timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, position)
      )
    `);
    await q.query(`CREATE INDEX queue_sla_breaches_time_idx ON queue_sla_breaches (tenant_id, occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE queue_sla_breaches, queue_interval_stats, queue_attempts, queue_event_calls, queue_mappings`,
    );
  }
}

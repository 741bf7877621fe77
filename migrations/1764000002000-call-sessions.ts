import { MigrationInterface, QueryRunner } from 'typeorm';

/** The call-sessions read model (one row per call, with its legs). Rebuildable from raw_events. */
export class CallSessions1764000002000 implements MigrationInterface {
  name = 'CallSessions1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE call_sessions (
        id               uuid        NOT NULL,
        tenant_id        uuid        NOT NULL,
        source_id        uuid        NOT NULL,
        vendor           text        NOT NULL,
        vendor_call_id   text        NOT NULL,
        session_id       text,
        direction        text        NOT NULL,
        status           text        NOT NULL,
        disposition      text,
        caller_number    text,
        caller_name      text,
        callee_number    text,
        did_number       text,
        answered_by      text,
        queue            text,
        ring_group       text,
        trunk            text,
        end_reason       text,
        digits           text,
        started_at       timestamptz NOT NULL,
        answered_at      timestamptz,
        ended_at         timestamptz,
        ring_seconds     int,
        talk_seconds     int,
        hold_seconds     int,
        duration_seconds int,
        recording_url    text,
        last_event_at    timestamptz NOT NULL,
        event_count      int         NOT NULL,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, source_id, vendor_call_id)
      )
    `);
    await q.query(`CREATE INDEX call_sessions_started_idx ON call_sessions (tenant_id, started_at DESC, id)`);
    await q.query(
      `CREATE INDEX call_sessions_open_idx ON call_sessions (tenant_id, last_event_at) WHERE status = 'IN_PROGRESS'`,
    );
    await q.query(
      `CREATE INDEX call_sessions_session_idx ON call_sessions (tenant_id, session_id) WHERE session_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE call_legs (
        tenant_id    uuid NOT NULL,
        call_id      uuid NOT NULL,
        ordinal      int  NOT NULL,
        destination  text NOT NULL,
        kind         text NOT NULL,
        status       text,
        started_at   timestamptz,
        answered_at  timestamptz,
        ended_at     timestamptz,
        ring_seconds int,
        talk_seconds int,
        end_reason   text,
        PRIMARY KEY (tenant_id, call_id, ordinal)
      )
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE call_legs, call_sessions`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent read models (METRICS.md "Agents"), all rebuildable from raw_events:
 * - agent_changes: what each stored event says about each agent (one row per state change);
 *   the segments are re-folded from these rows, never from payloads;
 * - agent_queue_labels: PortSIP queue_id → queue number, learnt by the agent-timeline projection
 *   itself from queue_status (so its relabelling never waits for another projection);
 * - agent_segments: the four-layer timeline, `[started_at, ended_at)`, ended_at NULL = open;
 * - agent_interval_stats: raw second and call sums per tenant, agent and 15-minute UTC bucket
 *   (ratios such as occupancy are derived when reading, so they roll up exactly);
 * - extension_event_refs + extensions: the extension directory and the events it is folded from.
 *
 * `queue` is '' (not NULL) outside AGENT_STATE, so that timeline keys are plain equalities that
 * btree indexes and primary keys can use; the report queries turn '' back into null.
 */
export class Agents1764000005000 implements MigrationInterface {
  name = 'Agents1764000005000';

  async up(q: QueryRunner): Promise<void> {
    // Trusted extension (PostgreSQL >= 13): a database owner may create it. Needed for the
    // (tenant, agent, time range) GiST index that answers "segments overlapping [from, to)".
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);

    await q.query(`
      CREATE TABLE agent_changes (
        tenant_id uuid        NOT NULL,
        source_id uuid        NOT NULL,
        position  bigint      NOT NULL,
        ordinal   int         NOT NULL,
        agent     text        NOT NULL,
        layer     text        NOT NULL CHECK (layer IN ('REGISTRATION', 'PRESENCE', 'AGENT_STATE', 'CALL')),
        queue     text        NOT NULL DEFAULT '',
        queue_id  text,
        state     text        NOT NULL,
        call_id   text,
        at        timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, position, ordinal)
      )
    `);
    // Re-folding one timeline from a time on, and "latest change of an agent".
    await q.query(`CREATE INDEX agent_changes_timeline_idx ON agent_changes (tenant_id, agent, layer, queue, at)`);
    await q.query(`CREATE INDEX agent_changes_agent_at_idx ON agent_changes (tenant_id, agent, at)`);
    // Relabelling when a PortSIP queue id gets (or changes) its number.
    await q.query(
      `CREATE INDEX agent_changes_queue_id_idx ON agent_changes (tenant_id, source_id, queue_id) WHERE queue_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE agent_queue_labels (
        tenant_id    uuid        NOT NULL,
        source_id    uuid        NOT NULL,
        queue_id     text        NOT NULL,
        queue_number text        NOT NULL,
        learnt_at    timestamptz NOT NULL,
        position     bigint      NOT NULL,
        PRIMARY KEY (tenant_id, source_id, queue_id)
      )
    `);

    await q.query(`
      CREATE TABLE agent_segments (
        tenant_id  uuid        NOT NULL,
        agent      text        NOT NULL,
        layer      text        NOT NULL CHECK (layer IN ('REGISTRATION', 'PRESENCE', 'AGENT_STATE', 'CALL')),
        queue      text        NOT NULL DEFAULT '',
        started_at timestamptz NOT NULL,
        -- Several segments of one timeline may start at one instant (zero-length CALL segments).
        ordinal    int         NOT NULL,
        state      text        NOT NULL,
        call_id    text,
        ended_at   timestamptz CHECK (ended_at >= started_at),
        PRIMARY KEY (tenant_id, agent, layer, queue, started_at, ordinal)
      )
    `);
    await q.query(`CREATE INDEX agent_segments_layer_idx ON agent_segments (tenant_id, agent, layer, started_at)`);
    await q.query(
      `CREATE INDEX agent_segments_call_idx ON agent_segments (tenant_id, agent, call_id, started_at) WHERE call_id IS NOT NULL`,
    );
    // Closed bounds so that zero-length segments (a ring answered in the same second) are found too.
    await q.query(
      `CREATE INDEX agent_segments_range_idx ON agent_segments USING gist (tenant_id, agent, tstzrange(started_at, ended_at, '[]'))`,
    );

    await q.query(`
      CREATE TABLE agent_interval_stats (
        tenant_id      uuid        NOT NULL,
        agent          text        NOT NULL,
        bucket_start   timestamptz NOT NULL,
        logged_in      int         NOT NULL,
        ready          int         NOT NULL,
        not_ready      int         NOT NULL,
        wrap_up        int         NOT NULL,
        ring           int         NOT NULL,
        talk           int         NOT NULL,
        hold           int         NOT NULL,
        idle_ready     int         NOT NULL,
        calls_answered int         NOT NULL,
        calls_missed   int         NOT NULL,
        PRIMARY KEY (tenant_id, bucket_start, agent)
      )
    `);
    await q.query(
      `CREATE INDEX agent_interval_stats_agent_idx ON agent_interval_stats (tenant_id, agent, bucket_start)`,
    );

    await q.query(`
      CREATE TABLE extension_event_refs (
        tenant_id uuid   NOT NULL,
        number    text   NOT NULL,
        position  bigint NOT NULL,
        PRIMARY KEY (tenant_id, number, position)
      )
    `);
    await q.query(`
      CREATE TABLE extensions (
        tenant_id    uuid        NOT NULL,
        number       text        NOT NULL,
        name         text,
        online       boolean     NOT NULL,
        presence     text,
        call_status  text,
        last_seen_at timestamptz,
        user_agent   text,
        ip           text,
        removed      boolean     NOT NULL,
        source_id    uuid        NOT NULL,
        updated_at   timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, number)
      )
    `);

    // The default privileges of the event-store migration already cover tables created by the
    // migration owner; stated again so the grant does not depend on who runs the migrations.
    await q.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON agent_changes, agent_queue_labels, agent_segments, agent_interval_stats,
         extension_event_refs, extensions TO cdr_app`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE extensions, extension_event_refs, agent_interval_stats, agent_segments, agent_queue_labels, agent_changes`,
    );
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event store: `raw_events` (monthly partitions by received time), the
 * `event_dedup` claim table that keeps deduplication exact across partitions, projection
 * checkpoints, and the least-privilege application role.
 */
export class EventStore1764000000000 implements MigrationInterface {
  name = 'EventStore1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cdr_app') THEN
          CREATE ROLE cdr_app NOLOGIN;
        END IF;
      END $$;
    `);

    await q.query(`CREATE SEQUENCE raw_events_position_seq AS bigint`);

    await q.query(`
      CREATE TABLE raw_events (
        position     bigint      NOT NULL DEFAULT nextval('raw_events_position_seq'),
        tx_id        xid8        NOT NULL DEFAULT pg_current_xact_id(),
        tenant_id    uuid        NOT NULL,
        source_id    uuid        NOT NULL,
        vendor       text        NOT NULL,
        type         text        NOT NULL,
        recognized   boolean     NOT NULL,
        problem      text,
        call_key     text,
        session_key  text,
        extension    text,
        queue        text,
        occurred_at  timestamptz,
        received_at  timestamptz NOT NULL DEFAULT now(),
        dedup_key    text        NOT NULL,
        delivery_id  uuid,
        raw          bytea       NOT NULL,
        payload      jsonb       NOT NULL,
        PRIMARY KEY (position, received_at)
      ) PARTITION BY RANGE (received_at)
    `);
    await q.query(`ALTER SEQUENCE raw_events_position_seq OWNED BY raw_events.position`);
    // Gap-safe reads scan by (tx_id, position) across tenants; projections then group by tenant.
    await q.query(`CREATE INDEX raw_events_tx_position_idx ON raw_events (tx_id, position)`);
    await q.query(
      `CREATE INDEX raw_events_tenant_call_idx ON raw_events (tenant_id, call_key) WHERE call_key IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX raw_events_tenant_extension_idx ON raw_events (tenant_id, extension) WHERE extension IS NOT NULL`,
    );
    await q.query(`CREATE INDEX raw_events_tenant_queue_idx ON raw_events (tenant_id, queue) WHERE queue IS NOT NULL`);
    await q.query(`CREATE INDEX raw_events_tenant_received_idx ON raw_events (tenant_id, received_at)`);

    // Append-only, enforced by the database whatever the role: row triggers reach every
    // partition; statement (TRUNCATE) triggers do not, so each partition gets its own.
    await q.query(`
      CREATE FUNCTION raw_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'raw_events is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$
    `);
    await q.query(`
      CREATE TRIGGER raw_events_no_update_delete BEFORE UPDATE OR DELETE ON raw_events
      FOR EACH ROW EXECUTE FUNCTION raw_events_reject_change()
    `);
    await q.query(`
      CREATE TRIGGER raw_events_no_truncate BEFORE TRUNCATE ON raw_events
      FOR EACH STATEMENT EXECUTE FUNCTION raw_events_reject_change()
    `);

    // Creates the monthly partitions from `from_month` to `months_ahead` after the current month.
    // SECURITY DEFINER so the application role can keep partitions ahead without owning the table.
    await q.query(`
      CREATE FUNCTION ensure_raw_events_partitions(months_ahead int, from_month date DEFAULT NULL)
      RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        today date := (now() AT TIME ZONE 'UTC')::date;
        m date := date_trunc('month', coalesce(from_month, today))::date;
        last date := (date_trunc('month', today) + make_interval(months => months_ahead))::date;
        part text;
        created int := 0;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('ensure_raw_events_partitions'));
        WHILE m <= last LOOP
          part := format('raw_events_%s', to_char(m, 'YYYY_MM'));
          IF to_regclass(part) IS NULL THEN
            EXECUTE format(
              'CREATE TABLE %I PARTITION OF raw_events FOR VALUES FROM (%L) TO (%L)',
              part, m::text || 'T00:00:00Z', (m + interval '1 month')::date::text || 'T00:00:00Z');
            EXECUTE format(
              'CREATE TRIGGER raw_events_no_truncate BEFORE TRUNCATE ON %I
               FOR EACH STATEMENT EXECUTE FUNCTION raw_events_reject_change()', part);
            EXECUTE format('REVOKE ALL ON %I FROM PUBLIC, cdr_app', part);
            EXECUTE format('GRANT SELECT, INSERT ON %I TO cdr_app', part);
            created := created + 1;
          END IF;
          m := (m + interval '1 month')::date;
        END LOOP;
        RETURN created;
      END $$
    `);
    // Partition bounds are UTC months whatever the server's TimeZone setting.
    await q.query(`SELECT ensure_raw_events_partitions(3, ((now() AT TIME ZONE 'UTC') - interval '1 month')::date)`);
    // Safety net: a clock far outside the prepared months must never make an append fail.
    await q.query(`CREATE TABLE raw_events_default PARTITION OF raw_events DEFAULT`);
    await q.query(`
      CREATE TRIGGER raw_events_no_truncate BEFORE TRUNCATE ON raw_events_default
      FOR EACH STATEMENT EXECUTE FUNCTION raw_events_reject_change()
    `);

    // One claim per (source, dedup key). Kept apart from the partitioned table because a
    // unique index there would have to include the partition key and so miss duplicates
    // that straddle a month boundary. Claims are pruned after DEDUP_RETENTION_DAYS (>= 7).
    await q.query(`
      CREATE TABLE event_dedup (
        source_id     uuid        NOT NULL,
        dedup_key     text        NOT NULL,
        tenant_id     uuid        NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (source_id, dedup_key)
      )
    `);
    await q.query(`CREATE INDEX event_dedup_first_seen_idx ON event_dedup (first_seen_at)`);

    await q.query(`
      CREATE TABLE projection_checkpoints (
        name       text        PRIMARY KEY,
        tx_id      xid8        NOT NULL DEFAULT '0',
        position   bigint      NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )
    `);

    await q.query(`
      CREATE TABLE rejected_deliveries (
        id          bigserial   PRIMARY KEY,
        tenant_id   uuid,
        source_id   uuid,
        received_at timestamptz NOT NULL DEFAULT now(),
        reason      text        NOT NULL,
        remote_addr text,
        content_type text,
        body        bytea       NOT NULL
      )
    `);

    // Least privilege: the apps may read and append events, never change them; full rights on
    // everything else this owner creates later (read models, configuration).
    await q.query(`GRANT USAGE ON SCHEMA public TO cdr_app`);
    await q.query(`REVOKE ALL ON raw_events, raw_events_default FROM PUBLIC, cdr_app`);
    await q.query(`GRANT SELECT, INSERT ON raw_events, raw_events_default TO cdr_app`);
    await q.query(`GRANT USAGE, SELECT ON SEQUENCE raw_events_position_seq TO cdr_app`);
    await q.query(`GRANT SELECT, INSERT, DELETE ON event_dedup TO cdr_app`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON projection_checkpoints TO cdr_app`);
    await q.query(`GRANT SELECT, INSERT ON rejected_deliveries TO cdr_app`);
    await q.query(`GRANT USAGE, SELECT ON SEQUENCE rejected_deliveries_id_seq TO cdr_app`);
    await q.query(`GRANT EXECUTE ON FUNCTION ensure_raw_events_partitions(int, date) TO cdr_app`);
    await q.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cdr_app`,
    );
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO cdr_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM cdr_app`);
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM cdr_app`);
    await q.query(`DROP TABLE rejected_deliveries, projection_checkpoints, event_dedup`);
    await q.query(`DROP TABLE raw_events`);
    await q.query(`DROP FUNCTION ensure_raw_events_partitions(int, date)`);
    await q.query(`DROP FUNCTION raw_events_reject_change()`);
    await q.query(`REVOKE ALL ON SCHEMA public FROM cdr_app`);
  }
}

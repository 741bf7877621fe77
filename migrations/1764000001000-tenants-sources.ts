import { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants and the PBX sources that deliver events for them. */
export class TenantsSources1764000001000 implements MigrationInterface {
  name = 'TenantsSources1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        name                  text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        timezone              text        NOT NULL DEFAULT 'UTC',
        country               char(2),
        sla_seconds           int         NOT NULL DEFAULT 20 CHECK (sla_seconds BETWEEN 0 AND 86400),
        short_abandon_seconds int         NOT NULL DEFAULT 5 CHECK (short_abandon_seconds BETWEEN 0 AND 86400),
        extension_pattern     text        NOT NULL DEFAULT '^\\d{2,5}$',
        created_at            timestamptz NOT NULL DEFAULT now()
      )
    `);
    await q.query(`
      CREATE TABLE sources (
        id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id         uuid        NOT NULL REFERENCES tenants (id),
        name              text        NOT NULL,
        vendor            text        NOT NULL CHECK (vendor IN ('nexbro', 'portsip', 'voipcloud')),
        auth_method       text        NOT NULL CHECK (auth_method IN ('none', 'basic', 'digest', 'bearer', 'token')),
        credentials       jsonb       NOT NULL,
        timezone          text,
        enabled           boolean     NOT NULL DEFAULT true,
        extension_pattern text,
        queue_numbers     text[]      NOT NULL DEFAULT '{}',
        carrier           text,
        wsi_url           text,
        wsi_username      text,
        wsi_password_enc  text,
        wsi_topics        text[]      NOT NULL DEFAULT '{}',
        wsi_filters       jsonb       NOT NULL DEFAULT '{}',
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CHECK (wsi_url IS NULL OR vendor = 'portsip')
      )
    `);
    await q.query(`CREATE INDEX sources_tenant_idx ON sources (tenant_id)`);
    await q.query(`CREATE INDEX sources_wsi_idx ON sources (id) WHERE wsi_url IS NOT NULL AND enabled`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sources, tenants`);
  }
}

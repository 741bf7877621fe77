import { runCli } from '../support/cli';
import { TEST_DATABASE_URL, testPool } from '../support/env';

const cli = (...args: string[]) => runCli(args);

describe('operator CLI', () => {
  const pool = testPool(TEST_DATABASE_URL);
  afterAll(() => pool.end());

  it('tenant:update changes settings and recomputes queue stats when a threshold changes', async () => {
    const { id: tenantId } = JSON.parse((await cli('tenant:create', '--name', 'Upd')).out) as { id: string };
    const source = await pool.query<{ id: string }>(
      `INSERT INTO sources (tenant_id, name, vendor, auth_method, credentials) VALUES ($1, 'x', 'voipcloud', 'none', '{"method":"none"}') RETURNING id`,
      [tenantId],
    );
    // One attempt answered after 15 s, its bucket computed under the default 20 s SLA.
    await pool.query(
      `INSERT INTO queue_attempts (tenant_id, source_id, call_key, attempt_key, kind, queue, entered_at, bucket_start, left_at,
                                   outcome, wait_seconds, callback)
       VALUES ($1, $2, 'c1', 'k', 'queue', 'Sales', '2026-03-02T09:01:00Z', '2026-03-02T09:00:00Z', '2026-03-02T09:01:15Z', 'ANSWERED', 15, false)`,
      [tenantId, source.rows[0].id],
    );
    const within = async () =>
      (
        await pool.query('SELECT answered, answered_within_sla FROM queue_interval_stats WHERE tenant_id = $1', [
          tenantId,
        ])
      ).rows;
    const tighter = await cli('tenant:update', '--tenant', tenantId, '--sla-seconds', '10', '--name', 'Upd');
    expect(tighter.code).toBe(0);
    expect(JSON.parse(tighter.out)).toEqual({ id: tenantId, changed: ['slaSeconds'], recomputedBuckets: 1 });
    expect(await within()).toEqual([{ answered: 1, answered_within_sla: 0 }]);
    const looser = await cli('tenant:update', '--tenant', tenantId, '--sla-seconds', '15');
    expect(JSON.parse(looser.out)).toMatchObject({ changed: ['slaSeconds'], recomputedBuckets: 1 });
    expect(await within()).toEqual([{ answered: 1, answered_within_sla: 1 }]);

    const zoneOnly = await cli('tenant:update', '--tenant', tenantId, '--timezone', 'Asia/Kathmandu');
    expect(JSON.parse(zoneOnly.out)).toEqual({ id: tenantId, changed: ['timezone'], recomputedBuckets: 0 });
    const bad = await cli(
      'tenant:update',
      '--tenant',
      tenantId,
      '--sla-seconds',
      '90000',
      '--timezone',
      'Mars/Olympus',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('timezone: expected an IANA time zone like Europe/London');
    expect(bad.err).toContain('slaSeconds');
    const nothing = await cli('tenant:update', '--tenant', tenantId);
    expect(nothing.code).not.toBe(0);
    expect(nothing.err).toContain('nothing to change');
    const unknown = await cli('tenant:update', '--tenant', '00000000-0000-4000-8000-000000000000', '--name', 'x');
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('00000000-0000-4000-8000-000000000000');
  });

  it('creates tenants and sources, printing JSON on stdout', async () => {
    const t = await cli(
      'tenant:create',
      '--name',
      'Acme Pty',
      '--timezone',
      'Australia/Sydney',
      '--country',
      'au',
      '--sla-seconds',
      '30',
    );
    expect(t.code).toBe(0);
    const { id: tenantId } = JSON.parse(t.out) as { id: string };
    const tenant = await pool.query(
      'SELECT name, timezone, country, sla_seconds, short_abandon_seconds FROM tenants WHERE id = $1',
      [tenantId],
    );
    expect(tenant.rows[0]).toEqual({
      name: 'Acme Pty',
      timezone: 'Australia/Sydney',
      country: 'AU',
      sla_seconds: 30,
      short_abandon_seconds: 5,
    });

    const s = await cli(
      'source:create',
      '--tenant',
      tenantId,
      '--vendor',
      'portsip',
      '--auth',
      'digest',
      '--username',
      'pbx',
      '--password',
      'pw-123456',
      '--queues',
      '8000, 8001',
    );
    expect(s.code).toBe(0);
    const source = JSON.parse(s.out) as { id: string; webhookPath: string };
    expect(source.webhookPath).toBe(`/webhooks/${source.id}`);
    const row = await pool.query('SELECT vendor, auth_method, credentials, queue_numbers FROM sources WHERE id = $1', [
      source.id,
    ]);
    expect(row.rows[0]).toMatchObject({ vendor: 'portsip', auth_method: 'digest', queue_numbers: ['8000', '8001'] });
    expect(JSON.stringify(row.rows[0].credentials)).not.toContain('pw-123456'); // HA1 only
    expect(row.rows[0].credentials).toMatchObject({ method: 'digest', username: 'pbx', realm: 'cdr-ingest' });

    const listed = await cli('source:list', '--tenant', tenantId);
    expect(JSON.parse(listed.out)).toEqual([expect.objectContaining({ id: source.id, vendor: 'portsip' })]);
    expect(listed.out).not.toContain('credentials');
    expect((await cli('source:disable', '--id', source.id)).out.trim()).toBe(
      JSON.stringify({ id: source.id, enabled: false }),
    );
  });

  it('explains bad input on stderr with a non-zero exit', async () => {
    const badZone = await cli('tenant:create', '--name', 'X', '--timezone', 'Mars/Olympus');
    expect(badZone.code).toBe(1);
    expect(badZone.err).toContain('timezone: expected an IANA time zone like Europe/London');
    expect(badZone.out).toBe('');

    const missing = await cli('source:create', '--vendor', 'nexbro', '--auth', 'none');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--tenant is required');

    const unknownFlag = await cli('tenant:create', '--name', 'X', '--colour', 'red');
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.err).toContain("Unknown option '--colour'");

    const noCreds = await cli(
      'source:create',
      '--tenant',
      '00000000-0000-4000-8000-000000000000',
      '--vendor',
      'nexbro',
      '--auth',
      'basic',
    );
    expect(noCreds.code).toBe(1);
    expect(noCreds.err).toMatch(/error: /);

    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    expect(unknown.err).toContain('tenant:create --name N');
  });

  it('migrate reports nothing to apply on a migrated database', async () => {
    const r = await cli('migrate');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ applied: [] });
  });
});

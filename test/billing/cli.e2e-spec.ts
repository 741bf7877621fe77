import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool, waitFor } from '../support/env';
import { waitForProjections } from '../support/projections';
import { cli, cliInProcess, outboundCall, tempFile } from './support';

let app: NestFastifyApplication;
let url: string;
let pool: Pool;

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule], { PROJECTION_CATCHUP_MS: '200' }));
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

const json = (r: { code: number; out: string; err: string }) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as Record<string, unknown>;
};

describe('billing from the command line', () => {
  it('tenant, source with a carrier, rates, a carrier file in its own format, and reconcile --wait', async () => {
    const { id: tenantId } = json(await cli('tenant:create', '--name', 'CLI billing', '--country', 'GB')) as {
      id: string;
    };
    const { id: sourceId } = json(
      await cli('source:create', '--tenant', tenantId, '--vendor', 'voipcloud', '--auth', 'none', '--carrier', 'bt'),
    ) as { id: string };
    const rates =
      'prefix,description,rate_per_minute,connect_fee,first_increment,next_increment,currency\n44,UK,0.06,0,60,60,GBP\n447,UK mobile,0.12,0,30,6,GBP\n';
    expect(
      json(await cli('rates:import', '--tenant', tenantId, '--carrier', 'bt', '--file', tempFile('bt.csv', rates))),
    ).toMatchObject({
      imported: 2,
      rejected: 0,
    });
    for (const call of [
      // 0.12/min at 30/6: 45 s -> 48 s = 0.096
      outboundCall({ id: 'k1', to: '07700900123', start: '2026-03-02T09:00:00Z', answerAfter: 2, talk: 45 }),
      // 0.06/min at 60/60: 61 s -> 120 s = 0.12
      outboundCall({ id: 'k2', to: '02079460000', start: '2026-03-02T10:00:00Z', answerAfter: 2, talk: 61 }),
    ]) {
      const res = await fetch(`${url}/webhooks/${sourceId}`, { method: 'POST', body: JSON.stringify(call) });
      expect(res.status).toBe(200);
    }
    await waitForProjections(pool, tenantId, 30000, ['call-sessions', 'call-costs']);

    // The carrier's own format: semicolons, local London times (GMT in March), decimal commas, H:MM:SS.
    const file = [
      'Ref;Date;A-Number;B-Number;Dauer;Betrag',
      'x1;02/03/2026 09:00:03;+441234567890;447700900123;0:00:45;0,0960',
      'x2;02/03/2026 10:00:01;;+44 20 7946 0000;0:01:01;0,1300',
    ].join('\n');
    const mapping = tempFile(
      'mapping.json',
      JSON.stringify({
        call_id: 'Ref',
        start_time: 'Date',
        from: 'A-Number',
        to: 'B-Number',
        duration: 'Dauer',
        cost: 'Betrag',
        delimiter: ';',
        time_format: 'dd/MM/yyyy HH:mm:ss',
        timezone: 'Europe/London',
        decimal_separator: ',',
      }),
    );
    const path = tempFile('bt-march.csv', file);
    const imported = json(
      await cli('carrier:import', '--tenant', tenantId, '--carrier', 'bt', '--file', path, '--mapping', `@${mapping}`),
    );
    expect(imported).toEqual({ importId: expect.any(String), imported: 2, rejected: 0, duplicate: false, errors: [] });
    const again = json(
      await cli('carrier:import', '--tenant', tenantId, '--carrier', 'bt', '--file', path, '--mapping', `@${mapping}`),
    );
    expect(again).toEqual({ ...imported, duplicate: true });

    const result = (
      await cliInProcess(
        'reconcile',
        '--tenant',
        tenantId,
        '--carrier',
        'bt',
        '--from',
        '2026-03-01T00:00:00Z',
        '--to',
        '2026-04-01T00:00:00Z',
        '--wait',
      )
    ).out;
    expect(result).toMatchObject({
      runId: expect.any(String),
      status: 'SUCCEEDED',
      matched: 1,
      costMismatch: 1,
      durationMismatch: 0,
      missingInCarrier: 0,
      missingInOurs: 0,
      expectedTotal: '0.2160', // 0.0960 + 0.1200
      billedTotal: '0.2260', // 0.0960 + 0.1300
      difference: '0.0100',
      currency: 'GBP',
    });

    // Without --wait: queued for the worker, which runs it.
    const queued = json(
      await cli(
        'reconcile',
        '--tenant',
        tenantId,
        '--carrier',
        'bt',
        '--from',
        '2026-03-02T00:00:00Z',
        '--to',
        '2026-03-03T00:00:00Z',
      ),
    ) as { runId: string; status: string };
    expect(queued.status).toBe('QUEUED');
    await waitFor(
      async () =>
        (await pool.query(`SELECT status FROM reconciliation_runs WHERE id = $1`, [queued.runId])).rows[0].status ===
        'SUCCEEDED',
      30000,
      'the queued run',
    );
  });

  it('tenant:update --country re-rates the calls and re-reads the carrier numbers in the new country', async () => {
    const { id: tenantId } = (await cliInProcess('tenant:create', '--name', 'No country yet')).out as { id: string };
    const { id: sourceId } = (
      await cliInProcess(
        'source:create',
        '--tenant',
        tenantId,
        '--vendor',
        'voipcloud',
        '--auth',
        'none',
        '--carrier',
        'tel',
      )
    ).out as { id: string };
    const rates =
      'prefix,description,rate_per_minute,connect_fee,first_increment,next_increment,currency\n44,UK,0.06,0,60,60,GBP\n';
    expect(
      (await cliInProcess('rates:import', '--tenant', tenantId, '--carrier', 'tel', '--file', tempFile('r.csv', rates)))
        .out,
    ).toMatchObject({ imported: 1, rejected: 0 });
    // A London number in national form: without a default country it is no phone number at all.
    const call = outboundCall({
      id: 'cc1',
      to: '02079460000',
      start: '2026-03-03T10:00:00Z',
      answerAfter: 2,
      talk: 61,
    });
    expect((await fetch(`${url}/webhooks/${sourceId}`, { method: 'POST', body: JSON.stringify(call) })).status).toBe(
      200,
    );
    await waitForProjections(pool, tenantId, 30000, ['call-sessions', 'call-costs']);
    const costs = async () =>
      (
        await pool.query(
          'SELECT to_number, rate_prefix, round(cost, 4)::text AS cost, problem FROM call_costs WHERE tenant_id = $1',
          [tenantId],
        )
      ).rows;
    expect(await costs()).toEqual([
      { to_number: null, rate_prefix: null, cost: null, problem: 'the destination is not a phone number' },
    ]);
    const carrierFile = 'call_id,start_time,from,to,duration,cost\n,2026-03-03T10:00:03Z,,02079460000,61,0.12\n';
    expect(
      (
        await cliInProcess(
          'carrier:import',
          '--tenant',
          tenantId,
          '--carrier',
          'tel',
          '--file',
          tempFile('c.csv', carrierFile),
        )
      ).out,
    ).toMatchObject({ imported: 1, rejected: 0 });
    const carrierNumbers = async () =>
      (await pool.query('SELECT to_raw, to_number FROM carrier_records WHERE tenant_id = $1', [tenantId])).rows;
    expect(await carrierNumbers()).toEqual([{ to_raw: '02079460000', to_number: null }]);

    expect((await cliInProcess('tenant:update', '--tenant', tenantId, '--country', 'gb')).out).toEqual({
      id: tenantId,
      changed: ['country'],
      recomputedBuckets: 0,
      reratedCalls: 1,
      renormalisedCarrierRecords: 1,
    });
    // 0.06/min at 60/60: 61 s -> 120 s = 0.12
    expect(await costs()).toEqual([{ to_number: '442079460000', rate_prefix: '44', cost: '0.1200', problem: null }]);
    expect(await carrierNumbers()).toEqual([{ to_raw: '02079460000', to_number: '442079460000' }]);
    const run = (
      await cliInProcess(
        'reconcile',
        '--tenant',
        tenantId,
        '--carrier',
        'tel',
        '--from',
        '2026-03-03T00:00:00Z',
        '--to',
        '2026-03-04T00:00:00Z',
        '--wait',
      )
    ).out;
    expect(run).toMatchObject({ status: 'SUCCEEDED', matched: 1, missingInCarrier: 0, missingInOurs: 0 });

    // The same country again changes nothing; a bad code is refused with the expected form.
    expect((await cliInProcess('tenant:update', '--tenant', tenantId, '--country', 'GB')).out).toEqual({
      id: tenantId,
      changed: [],
      recomputedBuckets: 0,
    });
    expect((await cliInProcess('tenant:update', '--tenant', tenantId, '--country', 'GBR')).error).toContain(
      'country: expected an ISO 3166 two-letter country code like AU',
    );
  });

  it('says what is wrong with the arguments', async () => {
    const { id: tenantId } = (await cliInProcess('tenant:create', '--name', 'CLI errors')).out as { id: string };
    const bad = async (...args: string[]) => {
      const r = await cliInProcess(...args);
      expect(r.out).toBeUndefined();
      return r.error;
    };
    const base = ['reconcile', '--tenant', tenantId, '--carrier', 'bt'];
    expect(await bad(...base, '--from', '2026-03-02', '--to', '2026-03-01')).toBe('--to: from must be before to');
    expect(await bad(...base, '--from', 'March', '--to', '2026-03-01')).toBe(
      '--from: from must be an ISO 8601 time with offset, like 2026-03-01T00:00:00Z',
    );
    expect(await bad(...base, '--from', '2026-03-01', '--to', '2026-03-02', '--match-tolerance', 'soon')).toBe(
      '--match-tolerance: matchToleranceSeconds must be a whole number of seconds from 0 to 3600',
    );
    expect(await bad(...base, '--from', '2026-03-01', '--to', '2027-03-03')).toBe(
      '--to: a reconciliation period spans at most 366 days',
    );
    expect(
      await bad(
        'reconcile',
        '--tenant',
        '00000000-0000-4000-8000-000000000000',
        '--carrier',
        'bt',
        '--from',
        '2026-03-01',
        '--to',
        '2026-03-02',
      ),
    ).toBe('--tenant: unknown tenant 00000000-0000-4000-8000-000000000000');
    const file = tempFile('c.csv', 'call_id,start_time,from,to,duration,cost\n');
    expect(
      await bad(
        'carrier:import',
        '--tenant',
        tenantId,
        '--carrier',
        'bt',
        '--file',
        file,
        '--mapping',
        '{"header":"yes"}',
      ),
    ).toBe('mapping: header: Invalid input: expected boolean, received string');
    expect(await bad('carrier:import', '--tenant', tenantId, '--carrier', 'bt', '--file', tempFile('e.csv', ''))).toBe(
      'the carrier file is empty',
    );
    expect(
      await bad(
        'carrier:import',
        '--tenant',
        tenantId,
        '--carrier',
        'bt',
        '--file',
        file,
        '--mapping',
        '@/nonexistent.json',
      ),
    ).toMatch(/^--mapping: cannot read \/nonexistent.json: ENOENT/);
    expect(await cliInProcess('carrier:import', '--tenant', tenantId, '--file', file)).toEqual({
      error: '--carrier is required',
      usage: true,
    });
  });
});

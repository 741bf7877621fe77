import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { CallSessionsProjection } from '@app/projections';
import { TenancyService } from '@app/platform';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, waitFor, testPool } from '../support/env';
import { callSnapshot, waitForProjections } from '../support/projections';
import { prng } from './scenario';

const fixture = (vendor: string, name: string) =>
  readFileSync(resolve(__dirname, '../../libs/vendors', vendor, '__fixtures__', name));

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenancy: TenancyService;

beforeAll(async () => {
  ({ app, url } = await startTestApp([IngestModule, WorkerModule], { PROJECTION_CATCHUP_MS: '200' }));
  tenancy = app.get(TenancyService);
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

const post = async (sourceId: string, body: Buffer | string) => {
  const res = await fetch(`${url}/webhooks/${sourceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(200);
};

async function calls(tenantId: string) {
  const { rows } = await pool.query(
    `SELECT c.*, (SELECT json_agg(json_build_object('destination', destination, 'kind', kind, 'status', status) ORDER BY ordinal)
                  FROM call_legs l WHERE l.tenant_id = c.tenant_id AND l.call_id = c.id) AS legs
     FROM call_sessions c WHERE tenant_id = $1 ORDER BY started_at`,
    [tenantId],
  );
  return rows;
}

describe('call sessions through webhooks and workers', () => {
  it('projects the PortSIP call_cdr example: DID 18800606, IVR 5000 → queue 8000 → agent 102, talk 21 s', async () => {
    const tenant = await tenancy.createTenant({ name: 'cdr', timezone: 'UTC' });
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'portsip',
      auth: 'none',
      queues: ['8000'],
    });
    await post(source.id, fixture('portsip', 'call_cdr.json'));
    await waitForProjections(pool, tenant.id);
    const [call] = await calls(tenant.id);
    expect(call).toMatchObject({
      vendor: 'portsip',
      vendor_call_id: '885337248273272832',
      direction: 'INBOUND',
      status: 'COMPLETED',
      disposition: 'ANSWERED',
      did_number: '18800606',
      queue: '8000',
      answered_by: '102',
      talk_seconds: 21,
      started_at: new Date(1725845648 * 1000),
      answered_at: new Date(1725845662 * 1000),
      ended_at: new Date(1725845669 * 1000),
      event_count: 1,
    });
    // Lag gauges are refreshed by the catch-up loop, which may run after the doorbell's job.
    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /cdr_projection_lag_seconds\{projection="call-sessions",partition="0"\} [\d.e+-]+/.test(text)
          ? text
          : undefined;
      },
      15000,
      'lag metrics',
    );
    expect(metrics).toMatch(/cdr_projection_events_total\{projection="call-sessions"\} \d+/);
    expect(call.legs).toEqual([
      { destination: '5000', kind: 'ivr', status: 'answered' },
      { destination: '8000', kind: 'queue', status: 'answered' },
      { destination: '102', kind: 'extension', status: 'answered' },
    ]);
  });

  it('folds a Nexbro call with hold and DTMF in America/New_York, whatever the arrival order and duplicates', async () => {
    const tenant = await tenancy.createTenant({ name: 'nexbro', timezone: 'America/New_York' });
    const source = await tenancy.createSource({ tenantId: tenant.id, vendor: 'nexbro', auth: 'none' });
    const base = {
      call_uuid: 'n-1',
      call_session_uuid: 'n-1',
      caller_id_number: '+12125550100',
      destination_number: '101',
    };
    const events = [
      { event: 'CALL_ROUTED', timestamp: '2026-01-27 12:00:00' },
      { event: 'CALL_RINGING', timestamp: '2026-01-27 12:00:02' },
      { event: 'CALL_ANSWER', timestamp: '2026-01-27 12:00:12' },
      { event: 'CALL_INPUT', digit: '1', digit_duration: '200', timestamp: '2026-01-27 12:00:20' },
      { event: 'CALL_INPUT', digit: '23', digit_duration: '400', timestamp: '2026-01-27 12:00:25' },
      { event: 'CALL_HOLD', timestamp: '2026-01-27 12:01:00' },
      { event: 'CALL_UNHOLD', timestamp: '2026-01-27 12:01:30' },
      { event: 'CALL_HANGUP', timestamp: '2026-01-27 12:02:12' },
    ].map((e) => ({ ...base, ...e }));
    // Reverse order, in two deliveries, with a duplicate of the answer.
    await post(source.id, JSON.stringify([events[7], events[6], events[2]]));
    await post(source.id, JSON.stringify([events[5], events[4], events[3], events[2], events[1], events[0]]));
    await waitForProjections(pool, tenant.id);
    const [call] = await calls(tenant.id);
    expect(call).toMatchObject({
      direction: 'INBOUND',
      status: 'COMPLETED',
      disposition: 'ANSWERED',
      caller_number: '+12125550100',
      answered_by: '101',
      digits: '123',
      started_at: new Date('2026-01-27T17:00:00Z'), // 12:00 EST
      answered_at: new Date('2026-01-27T17:00:12Z'),
      ended_at: new Date('2026-01-27T17:02:12Z'),
      ring_seconds: 10,
      talk_seconds: 120,
      hold_seconds: 30,
      duration_seconds: 132,
      event_count: 8,
    });
  });

  it('gives the same rows incrementally, under shuffled and duplicated deliveries, as a clean rebuild of those calls', async () => {
    const tenant = await tenancy.createTenant({ name: 'shuffle', timezone: 'UTC' });
    const portsip = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'portsip',
      auth: 'none',
      queues: ['8000'],
    });
    const voip = await tenancy.createSource({ tenantId: tenant.id, vendor: 'voipcloud', auth: 'none' });
    const payloads: Array<[string, string]> = [];
    for (const name of ['call_start.json', 'call_cdr.json'])
      payloads.push([portsip.id, fixture('portsip', name).toString()]);
    for (const name of [
      'user_inbound.json',
      'user_inbound_answered.json',
      'user_inbound_completed.json',
      'queue_call.json',
      'voicemail.json',
    ]) {
      payloads.push([voip.id, fixture('voipcloud', name).toString()]);
    }
    const rnd = prng(42);
    const deliveries = [...payloads, ...payloads.filter(() => rnd() < 0.5)].sort(() => rnd() - 0.5);
    await Promise.all(deliveries.map(([sourceId, body]) => post(sourceId, body)));
    await waitForProjections(pool, tenant.id);
    const incremental = await callSnapshot(pool, tenant.id);
    expect(incremental.length).toBeGreaterThanOrEqual(2);

    // Re-fold exactly these calls from the store, as a rebuild would, and compare row for row.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM call_legs WHERE tenant_id = $1', [tenant.id]);
      await client.query('DELETE FROM call_sessions WHERE tenant_id = $1', [tenant.id]);
      const { rows } = await client.query('SELECT * FROM raw_events WHERE tenant_id = $1 ORDER BY position DESC', [
        tenant.id,
      ]);
      await new CallSessionsProjection().apply(
        client,
        rows.map((r) => ({ tenantId: r.tenant_id, sourceId: r.source_id, callKey: r.call_key }) as never),
        new Date(),
      );
      expect(await callSnapshot(client as unknown as Pool, tenant.id)).toEqual(incremental);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});

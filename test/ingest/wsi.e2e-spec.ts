import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WsiSupervisor } from '../../apps/ingest/wsi/wsi-supervisor';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, waitFor, testPool } from '../support/env';
import { FakeWsiServer } from '../support/fake-wsi-server';
import { storedEvents } from './support';

const presence = (ext: string, i: number) => ({
  event_type: 'extension_presence',
  extension: `sip:${ext}@test.io`,
  presence: i % 2 ? 'AWAY' : 'ONLINE',
  time: String(1725845648 + i),
});

describe('PortSIP WSI ingestion', () => {
  let app: NestFastifyApplication;
  let pool: Pool;
  let server: FakeWsiServer;
  let tenancy: TenancyService;

  beforeAll(async () => {
    server = await FakeWsiServer.start({ credentials: { username: 'admin', password: 'wsi-secret' } });
    ({ app } = await startTestApp([IngestModule], { WSI_ENABLED: 'true' }));
    tenancy = app.get(TenancyService);
    pool = testPool(TEST_DATABASE_URL);
  });
  afterAll(async () => {
    await app?.close();
    await server?.close();
    await pool?.end();
  });

  it('subscribes with the configured topics and filters, survives a drop, and stores events once', async () => {
    const tenant = await tenancy.createTenant({ name: 'wsi', timezone: 'UTC' });
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'portsip',
      auth: 'none',
      wsiUrl: server.url,
      wsiUsername: 'admin',
      wsiPassword: 'wsi-secret',
      wsiTopics: ['extension_events'],
      wsiFilters: { extensions: ['101', '102'] },
    });
    // The stored password is sealed, never plain.
    const { rows } = await pool.query('SELECT wsi_password_enc FROM sources WHERE id = $1', [source.id]);
    expect(rows[0].wsi_password_enc).not.toContain('wsi-secret');

    await app.get(WsiSupervisor).sync();
    await waitFor(() => server.subscribedClients === 1, 10000, 'subscription');
    expect(server.subscribeCommands[0].command).toMatchObject({
      command: 'subscribe',
      topics: ['extension_events'],
      extensions: ['101', '102'],
    });

    for (let i = 0; i < 5; i++) server.push(presence('101', i));
    await waitFor(async () => (await storedEvents(pool, source.id)).length === 5, 10000, 'events before the drop');

    server.dropAll();
    await waitFor(() => server.subscribedClients === 1 && server.connectionCount === 2, 15000, 're-subscription');
    expect(server.subscribeCommands).toHaveLength(2);
    for (let i = 5; i < 10; i++) server.push(presence('102', i));
    server.push(presence('101', 0)); // a duplicate of an event from before the drop
    await waitFor(async () => (await storedEvents(pool, source.id)).length === 10, 10000, 'events after the drop');

    const events = await storedEvents(pool, source.id);
    expect(events.map((e) => [e.type, e.recognized, e.occurred_at?.toISOString()])).toEqual(
      Array.from({ length: 10 }, (_, i) => [
        'extension_presence',
        true,
        new Date((1725845648 + i) * 1000).toISOString(),
      ]),
    );
    expect(events[0].raw.toString()).toBe(JSON.stringify(presence('101', 0)));
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('cdr_wsi_connected 1');
  });

  it('reports refused credentials in a metric and stops when the source is disabled', async () => {
    const tenant = await tenancy.createTenant({ name: 'wsi-refused', timezone: 'UTC' });
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'portsip',
      auth: 'none',
      wsiUrl: server.url,
      wsiUsername: 'admin',
      wsiPassword: 'not-the-password',
    });
    const supervisor = app.get(WsiSupervisor);
    await supervisor.sync();
    await waitFor(
      async () => {
        const m = await app.inject({ method: 'GET', url: '/metrics' });
        return m.body.includes(`cdr_wsi_auth_failures_total{source="${source.id}"} 1`);
      },
      10000,
      'auth failure metric',
    );
    expect(supervisor.states()[source.id]).toBe('backoff');

    await tenancy.setSourceEnabled(source.id, false);
    await supervisor.sync();
    expect(supervisor.states()[source.id]).toBeUndefined();
  });
});

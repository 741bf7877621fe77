import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, testPool } from '../support/env';
import { TcpProxy } from '../support/tcp-proxy';
import { storedEvents } from './support';

describe('PostgreSQL unavailable', () => {
  const proxy = new TcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
  let app: NestFastifyApplication;
  let url: string;
  let pool: Pool;

  beforeAll(async () => {
    const dbUrl = new URL(TEST_DATABASE_URL);
    dbUrl.port = String(await proxy.start());
    ({ app, url } = await startTestApp([IngestModule], { DATABASE_URL: dbUrl.toString() }));
    pool = testPool(TEST_DATABASE_URL);
  });
  afterAll(async () => {
    await proxy.start().catch(() => undefined);
    await app?.close();
    await proxy.stop();
    await pool?.end();
  });

  const post = (sourceId: string, body: string) =>
    fetch(`${url}/webhooks/${sourceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
      retryAfter: r.headers.get('retry-after'),
    }));

  it('answers 503 while the database is unreachable, stores nothing, and accepts the same delivery afterwards', async () => {
    const tenancy = app.get(TenancyService);
    const tenant = await tenancy.createTenant({ name: 'faults', timezone: 'UTC' });
    const cached = await tenancy.createSource({ tenantId: tenant.id, vendor: 'portsip', auth: 'none' });
    const uncached = await tenancy.createSource({ tenantId: tenant.id, vendor: 'portsip', auth: 'none' });
    const first = '{"event_type":"call_start","session_id":"s-1","start_time":"1725845648"}';
    const second = '{"event_type":"call_start","session_id":"s-2","start_time":"1725845649"}';
    expect((await post(cached.id, first)).status).toBe(200);

    await proxy.cut();
    const down = await post(cached.id, second);
    expect(down).toEqual({
      status: 503,
      body: { error: 'storage unavailable; nothing was stored, please retry' },
      retryAfter: '5',
    });
    // A source not yet looked up cannot be found either: 503, never a misleading 404.
    expect((await post(uncached.id, second)).status).toBe(503);
    const health = await fetch(`${url}/health/ready`);
    expect(health.status).toBe(503);

    await proxy.start();
    const after = await post(cached.id, second);
    expect(after).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 0 } });
    expect((await post(uncached.id, second)).body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await storedEvents(pool, cached.id)).map((r) => r.raw.toString())).toEqual([first, second]);
  });
});

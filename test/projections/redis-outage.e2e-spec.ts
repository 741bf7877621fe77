import { getQueueToken } from '@nestjs/bullmq';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { QUEUES, TenancyService } from '@app/platform';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { REDIS_URL, TEST_DATABASE_URL, TEST_QUEUE_PREFIX, testPool, waitFor } from '../support/env';
import { waitForProjections } from '../support/projections';
import { TcpProxy } from '../support/tcp-proxy';
import { portsipCalls } from './scenario';

const OUTAGE_MS = 30_000;

describe('Redis outage', () => {
  const proxy = new TcpProxy(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
  let app: NestFastifyApplication;
  let url: string;
  let pool: Pool;

  beforeAll(async () => {
    const redis = new URL(REDIS_URL);
    redis.port = String(await proxy.start());
    ({ app, url } = await startTestApp([IngestModule, WorkerModule], {
      REDIS_URL: redis.toString(),
      QUEUE_PREFIX: `${TEST_QUEUE_PREFIX}outage`,
      PROJECTION_CATCHUP_MS: '500',
    }));
    pool = testPool(TEST_DATABASE_URL);
  });
  afterAll(async () => {
    await proxy.start().catch(() => undefined);
    await app?.close();
    await proxy.stop();
    await pool?.end();
  });

  it('keeps answering webhooks with 200 while Redis is down for 30 s, and projections catch up without a restart', async () => {
    const tenancy = app.get(TenancyService);
    const tenant = await tenancy.createTenant({ name: 'outage', timezone: 'UTC' });
    const source = await tenancy.createSource({
      tenantId: tenant.id,
      vendor: 'portsip',
      auth: 'none',
      queues: ['8000'],
    });
    const payloads = portsipCalls(60, 7);
    const post = (body: unknown) =>
      fetch(`${url}/webhooks/${source.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    for (const p of payloads.slice(0, 20)) expect((await post(p)).status).toBe(200);
    await waitForProjections(pool, tenant.id);

    await proxy.cut();
    const outageEnds = Date.now() + OUTAGE_MS;
    const statuses: number[] = [];
    let i = 20;
    while (Date.now() < outageEnds) {
      if (i < payloads.length) statuses.push((await post(payloads[i++])).status);
      await new Promise((r) => setTimeout(r, 500)); // pacing of the simulated PBX, not a wait for workers
    }
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 200)).toBe(true);

    await proxy.start();
    while (i < payloads.length) expect((await post(payloads[i++])).status).toBe(200);
    await waitForProjections(pool, tenant.id, 30000);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM call_sessions WHERE tenant_id = $1', [tenant.id]);
    expect(rows[0].n).toBe(60);

    // The BullMQ worker itself is alive again: a job rung now is processed.
    const queue = app.get<Queue>(getQueueToken(QUEUES.projections));
    const job = await queue.add('run', { partition: 0 }, { jobId: `probe-${Date.now()}` });
    await waitFor(async () => (await job.getState()) === 'completed', 20000, 'a projection job after the outage');
  }, 120000);
});

import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { appRoot, createHttpApp } from '@app/platform';
import { testRuntime } from '../support/app';
import { TEST_DATABASE_URL, waitFor } from '../support/env';
import { TcpProxy } from '../support/tcp-proxy';

describe('health and metrics', () => {
  const proxy = new TcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432));
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const port = await proxy.start();
    const dbUrl = new URL(TEST_DATABASE_URL);
    dbUrl.port = String(port);
    const runtime = testRuntime({ DATABASE_URL: dbUrl.toString() });
    app = await createHttpApp(appRoot(runtime, []), runtime);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await proxy.start().catch(() => undefined); // let the pool close cleanly
    await app?.close();
    await proxy.stop();
  });

  it('answers liveness', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves Prometheus metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('# TYPE cdr_events_appended_total counter');
    expect(res.body).toContain('process_resident_memory_bytes');
  });

  it('is ready with PostgreSQL and the queue up, and 503 while PostgreSQL is unreachable', async () => {
    const up = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual({ status: 'ok', checks: { database: 'up', queue: 'up' } });

    await proxy.cut();
    const down = await waitFor(
      async () => {
        const res = await app.inject({ method: 'GET', url: '/health/ready' });
        return res.statusCode === 503 ? res : undefined;
      },
      15000,
      'readiness to fail',
    );
    expect(down.json()).toEqual({ status: 'unavailable', checks: { database: 'down', queue: 'up' } });

    await proxy.start();
    await waitFor(
      async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
      15000,
      'recovery',
    );
  });
});

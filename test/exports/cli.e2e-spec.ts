import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { IngestModule } from '../../apps/ingest/ingest.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { runCli } from '../support/cli';
import { REDIS_URL, TEST_DATABASE_URL, TEST_EXPORT_DIR, TEST_QUEUE_PREFIX, testPool } from '../support/env';
import { voipcloudQueueCalls } from './fixtures';
import { TestTenant, download, gql, tenantWith } from './support';

/** `npm run -s cli -- ...` on this run's database, queue and export directory. */
const cli = (...args: string[]) =>
  runCli(args, { REDIS_URL, QUEUE_PREFIX: TEST_QUEUE_PREFIX, EXPORT_DIR: TEST_EXPORT_DIR, LOG_LEVEL: 'silent' });

let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenant: TestTenant;

beforeAll(async () => {
  // The worker that runs what the CLI queues, and the API that serves the file.
  ({ app, url } = await startTestApp([IngestModule, WorkerModule, ApiModule], { PROJECTION_CATCHUP_MS: '200' }));
  pool = testPool(TEST_DATABASE_URL);
  tenant = await tenantWith(url, app.get(TenancyService), pool, 'cli-export', [
    { vendor: 'voipcloud', payloads: voipcloudQueueCalls('2026-03-02T01:00:00Z', 10, 45, 'cli') },
  ]);
}, 120000);
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

describe('cli export:run', () => {
  it('--wait prints the run and the written file, which is what the API serves', async () => {
    const res = await cli(
      'export:run',
      '--tenant',
      tenant.id,
      '--report',
      'queue-stats',
      '--from',
      '2026-03-02T00:00:00+05:45',
      '--to',
      '2026-03-03T00:00:00+05:45',
      '--timezone',
      'Asia/Kathmandu',
      '--granularity',
      'hour',
      '--wait',
    );
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out) as { runId: string; file: string };
    expect(out.file).toBe(
      resolve(
        TEST_EXPORT_DIR,
        tenant.id,
        out.runId,
        'queue-stats_2026-03-02T00-00+05-45_2026-03-03T00-00+05-45_Asia-Kathmandu.csv',
      ),
    );
    const text = readFileSync(out.file, 'utf8');
    expect(text.split('\r\n')[0]).toBe(
      'queue,intervalStart,offered,answered,answeredWithinSla,abandoned,shortAbandoned,timedOut,callbacks,serviceLevel,' +
        'abandonRate,averageWaitSeconds,maxWaitSeconds,averageAbandonWaitSeconds,averageTalkSeconds,averageHandleSeconds',
    );
    // Hours of Kathmandu start at :15 UTC; the 01:45Z call is in its 07:00 hour.
    expect(text).toContain('\r\nSales,2026-03-02T07:00:00.000+05:45,1,1,1,0,0,0,0,1,0,12,12,,43,43\r\n');
    expect((await download(url, tenant.key, out.runId)).body.toString('utf8')).toBe(text);
    const { body } = await gql(url, tenant.key, `query($id: ID!) { exportRun(id: $id) { status rowCount } }`, {
      id: out.runId,
    });
    expect(body.data.exportRun.status).toBe('SUCCEEDED');
    expect(body.data.exportRun.rowCount).toBe(text.split('\r\n').length - 2);
  });

  it('refuses bad arguments with the option and what it expects (exit 2), before any run exists', async () => {
    const count = async () =>
      (await pool.query(`SELECT count(*)::int AS n FROM export_runs WHERE tenant_id = $1`, [tenant.id])).rows[0].n;
    const before = await count();
    const report = await cli('export:run', '--tenant', tenant.id, '--report', 'invoices', '--from', 'x', '--to', 'y');
    expect(report.code).toBe(2);
    expect(report.err).toMatch(
      /^--report: expected one of calls, queue-stats, agent-stats, agent-timeline, reconciliation, got "invoices"/,
    );
    const granularity = await cli(
      'export:run',
      '--tenant',
      tenant.id,
      '--report',
      'calls',
      '--from',
      '2026-03-02T00:00:00Z',
      '--to',
      '2026-03-01T00:00:00Z',
    );
    expect(granularity.code).toBe(2);
    expect(granularity.err).toMatch(/^--to: from must be before to/);
    const missing = await cli(
      'export:run',
      '--tenant',
      tenant.id,
      '--report',
      'agent-stats',
      '--from',
      '2026-03-02T00:00:00Z',
    );
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^--from and --to are required/);
    expect(await count()).toBe(before);
  });
});

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_DATABASE_URL, TEST_EXPORT_DIR, TEST_QUEUE_PREFIX, testPool, waitFor } from '../support/env';
import { RunView, TestTenant, download, finished, gql, runExport, tenantWith } from './support';

/**
 * A failing run is retried with exponential backoff (EXPORT_BACKOFF_MS 300: 300, 600, 1200 ms)
 * and marked FAILED with the reason after EXPORT_ATTEMPTS. The export directory is made unusable
 * by a plain file where a directory must be. Queues of their own: no other test's worker (with a
 * usable directory) may take these jobs.
 */
const blocker = `${TEST_EXPORT_DIR}-blocked`;
let app: NestFastifyApplication;
let url: string;
let pool: Pool;
let tenant: TestTenant;

beforeAll(async () => {
  writeFileSync(blocker, 'not a directory');
  ({ app, url } = await startTestApp([ApiModule, WorkerModule], {
    QUEUE_PREFIX: `${TEST_QUEUE_PREFIX}retry`,
    EXPORT_DIR: join(blocker, 'exports'),
    EXPORT_ATTEMPTS: '4',
    EXPORT_BACKOFF_MS: '300',
  }));
  pool = testPool(TEST_DATABASE_URL);
  tenant = await tenantWith(url, app.get(TenancyService), pool, 'retries', []);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  rmSync(blocker, { recursive: true, force: true });
});

const REQUEST = { report: 'CALLS', from: '2026-03-02T00:00:00Z', to: '2026-03-03T00:00:00Z' };

async function current(id: string): Promise<RunView> {
  const { body } = await gql(url, tenant.key, `query($id: ID!) { exportRun(id: $id) { id status error attempts } }`, {
    id,
  });
  return body.data.exportRun as RunView;
}

it('retries with backoff, shows each failed attempt, then marks the run FAILED with the reason', async () => {
  const { id } = await runExport(url, tenant.key, REQUEST);
  const retrying = await waitFor(async () => {
    const run = await current(id);
    return run.error?.startsWith('attempt 1 of 4 failed') ? run : null;
  });
  expect(retrying).toMatchObject({
    status: 'QUEUED',
    error: 'attempt 1 of 4 failed: the export directory is not usable (ENOTDIR); retrying',
  });
  const run = await finished(url, tenant.key, id);
  expect(run).toMatchObject({
    status: 'FAILED',
    attempts: 4,
    error: 'the export directory is not usable (ENOTDIR)',
    downloadPath: null,
  });
  const { rows } = await pool.query<{ created_at: Date; finished_at: Date }>(
    `SELECT created_at, finished_at FROM export_runs WHERE id = $1`,
    [id],
  );
  // Three waits of 300, 600 and 1200 ms between the four attempts.
  expect(rows[0].finished_at.getTime() - rows[0].created_at.getTime()).toBeGreaterThanOrEqual(2100);
});

it('a retry succeeds once the cause is gone', async () => {
  const { id } = await runExport(url, tenant.key, REQUEST);
  await waitFor(async () => (await current(id)).error?.startsWith('attempt 1 of 4 failed'));
  rmSync(blocker);
  mkdirSync(blocker);
  const run = await finished(url, tenant.key, id);
  expect(run.status).toBe('SUCCEEDED');
  expect(run.error).toBeNull();
  expect(run.attempts).toBeGreaterThanOrEqual(2);
  const file = await download(url, tenant.key, id);
  expect(file.status).toBe(200);
  expect(file.body.toString()).toMatch(/^id,vendor,sourceId,/);
});

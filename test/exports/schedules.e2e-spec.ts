import { getQueueToken } from '@nestjs/bullmq';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import { schedulerId } from '@app/exports';
import { QUEUES, TenancyService } from '@app/platform';
import { ApiModule } from '../../apps/api/api.module';
import { WorkerModule } from '../../apps/worker/worker.module';
import { startTestApp } from '../support/app';
import { TEST_QUEUE_PREFIX, testPool, waitFor } from '../support/env';
import { privateDatabase } from '../support/projections';
import { TestTenant, finished, gql, tenantWith } from './support';

/**
 * What BullMQ 6 does with a schedule whose times pass while no worker runs: its scheduler keeps
 * one pending job, so a worker that starts runs the schedule once — not once per missed time —
 * and the run exports the period before the latest missed time.
 *
 * A database and queues of their own: no other test's worker may run these jobs, or restore
 * these schedules into its own queues at start. Second-precision cron, so that three due times
 * pass within seconds.
 */
let database: { url: string; drop: () => Promise<void> };
let env: Record<string, string>;

let api: NestFastifyApplication;
let worker: NestFastifyApplication | undefined;
let url: string;
let pool: Pool;
let tenant: TestTenant;

beforeAll(async () => {
  database = await privateDatabase('sched');
  env = { DATABASE_URL: database.url, QUEUE_PREFIX: `${TEST_QUEUE_PREFIX}sched`, EXPORT_MIN_INTERVAL_SECONDS: '1' };
  ({ app: api, url } = await startTestApp([ApiModule], env));
  pool = testPool(database.url);
  tenant = await tenantWith(url, api.get(TenancyService), pool, 'catch-up', []);
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await pool?.end();
  await database?.drop();
});

/** Three consecutive seconds a little ahead, within one minute, as a yearly cron in UTC. */
function threeSecondsAhead(): { cron: string; times: Date[] } {
  let base = Math.ceil(Date.now() / 1000) + 3;
  if (base % 60 > 56) base += 60 - (base % 60) + 1;
  const times = [0, 1, 2].map((i) => new Date((base + i) * 1000));
  const t = times[0];
  const cron = `${times.map((d) => d.getUTCSeconds()).join(',')} ${t.getUTCMinutes()} ${t.getUTCHours()} ${t.getUTCDate()} ${t.getUTCMonth() + 1} *`;
  return { cron, times };
}

async function runsOf(scheduleId: string) {
  const { rows } = await pool.query<{ id: string; slot_at: Date; range_from: Date; range_to: Date }>(
    `SELECT id, slot_at, range_from, range_to FROM export_runs WHERE schedule_id = $1 ORDER BY slot_at`,
    [scheduleId],
  );
  return rows;
}

it('a schedule whose times passed while no worker ran catches up once, for the latest time', async () => {
  const { cron, times } = threeSecondsAhead();
  const create = async (name: string) => {
    const { body } = await gql(
      url,
      tenant.key,
      `mutation($i: ExportScheduleInput!) { createExportSchedule(input: $i) { id nextRunAt } }`,
      { i: { name, cron, timezone: 'UTC', request: { report: 'CALLS', range: 'PREVIOUS_HOUR' } } },
    );
    expect(body.errors).toBeUndefined();
    return body.data.createExportSchedule as { id: string; nextRunAt: string };
  };
  const kept = await create('scheduler kept');
  expect(kept.nextRunAt).toBe(times[0].toISOString());
  // The second schedule's scheduler is lost (as when Redis is emptied): the worker restores it.
  const lost = await create('scheduler lost');
  const queue = api.get<Queue>(getQueueToken(QUEUES.exports));
  expect(await queue.removeJobScheduler(schedulerId(lost.id))).toBe(true);

  // All three times pass with no worker: the schedule is overdue, nothing ran.
  await waitFor(() => Date.now() > times[2].getTime() + 300, 20000, 'the three due times to pass');
  const { body } = await gql(url, tenant.key, `{ exportSchedules { id nextRunAt } }`);
  expect(body.data.exportSchedules).toContainEqual({ id: kept.id, nextRunAt: times[0].toISOString() });
  expect(await runsOf(kept.id)).toEqual([]);

  ({ app: worker } = await startTestApp([WorkerModule], env));
  for (const s of [kept, lost]) {
    const [run] = await waitFor(async () => {
      const runs = await runsOf(s.id);
      return runs.length ? runs : null;
    });
    expect((await finished(url, tenant.key, run.id)).status).toBe('SUCCEEDED');
    // The latest missed time, and the hour before it.
    expect(run.slot_at).toEqual(times[2]);
    const hour = Math.floor(times[2].getTime() / 3_600_000) * 3_600_000;
    expect([run.range_from.getTime(), run.range_to.getTime()]).toEqual([hour - 3_600_000, hour]);
  }
  // Nothing else is pending for either: their next time is the same seconds next year.
  for (const s of [kept, lost]) {
    const scheduler = await queue.getJobScheduler(schedulerId(s.id));
    expect(new Date(scheduler!.next!).getUTCFullYear()).toBe(times[0].getUTCFullYear() + 1);
  }
  await waitFor(async () => (await queue.getActiveCount()) + (await queue.getWaitingCount()) === 0);
  for (const s of [kept, lost]) expect(await runsOf(s.id)).toHaveLength(1);
});

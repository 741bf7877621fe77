import { Client, Pool } from 'pg';
import type { BatchInfo, Projection, ProjectionRunner } from '@app/projections';
import { runMigrations } from '@app/platform';
import { SERVER_URL, waitFor } from './env';

/**
 * Waits until no event (of `tenantId`, if given) is past the checkpoint of its partition of each
 * named projection (polls; never sleeps blindly).
 */
export async function waitForProjections(
  pool: Pool,
  tenantId: string | null,
  timeoutMs = 20000,
  projections: readonly string[] = ['call-sessions'],
): Promise<void> {
  await waitFor(
    async () => {
      const { rows } = await pool.query<{ behind: boolean }>(
        `SELECT EXISTS (
           SELECT 1 FROM raw_events e, unnest($2::text[]) AS p(name)
           WHERE ($1::uuid IS NULL OR e.tenant_id = $1) AND NOT EXISTS (
             SELECT 1 FROM projection_checkpoints c
             WHERE c.name LIKE p.name || ':%' AND split_part(split_part(c.name, ':', 2), '/', 1)::int =
                   get_byte(uuid_send(e.tenant_id), 15) % split_part(c.name, '/', 2)::int
               AND (e.tx_id, e.position) <= (c.tx_id, c.position))) AS behind`,
        [tenantId, projections],
      );
      return !rows[0].behind;
    },
    timeoutMs,
    'projections to catch up',
  );
}

/** A private, migrated database for tests that rebuild or kill things (never the shared one). */
export async function privateDatabase(tag: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `cdr_test_${tag}_${process.pid}`;
  const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = `${SERVER_URL}/${name}`;
  await runMigrations(url);
  return {
    url,
    drop: async () => {
      const c = new Client({ connectionString: `${SERVER_URL}/postgres` });
      c.on('error', () => undefined);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The call-sessions read model of a tenant, in a canonical order, for exact comparisons. */
export async function callSnapshot(pool: Pool, tenantId?: string): Promise<unknown[]> {
  const where = tenantId ? 'WHERE c.tenant_id = $1' : '';
  const { rows } = await pool.query(
    `SELECT row_to_json(c)::jsonb - 'tenant_id' AS call,
            coalesce((SELECT jsonb_agg(row_to_json(l)::jsonb ORDER BY l.ordinal) FROM call_legs l
                      WHERE l.tenant_id = c.tenant_id AND l.call_id = c.id), '[]') AS legs
     FROM call_sessions c ${where} ORDER BY c.tenant_id, c.id`,
    tenantId ? [tenantId] : [],
  );
  return rows;
}

/**
 * Runs `runner.catchUp` until every committed event is applied. catchUp alone stops at what a
 * gap-safe read may see, and an open transaction anywhere on the server (another test worker's)
 * can hold that back for a moment.
 */
export async function catchUpFully(runner: ProjectionRunner, projection: Projection, timeoutMs = 30000): Promise<void> {
  await waitFor(
    async () => {
      await runner.catchUp(projection);
      return runner.isCaughtUp(projection);
    },
    timeoutMs,
    `${projection.name} to catch up`,
  );
}

/**
 * Two runners (each with its own projection instance) take turns on partitions 0 and 1, one batch
 * each per turn, until the projection is caught up: every batch a runner sees follows one the
 * other applied, so whatever it remembers between batches must be dropped.
 */
export async function takeTurns(
  turns: ReadonlyArray<readonly [ProjectionRunner, Projection]>,
  partitions: readonly number[] = [0, 1],
): Promise<void> {
  const [first, firstProjection] = turns[0];
  for (let round = 0; round < 10_000; round++) {
    let applied = 0;
    for (const p of partitions) {
      for (const [r, projection] of turns) {
        const [outcome] = await r.applyTogether([projection], p);
        if (outcome.error) throw outcome.error;
        if (typeof outcome.events === 'number') applied += outcome.events;
      }
    }
    if (applied === 0 && (await first.isCaughtUp(firstProjection))) return;
  }
  throw new Error('runners taking turns did not catch up in 10,000 rounds');
}

/**
 * Wraps a projection so that every third batch throws after its apply (the runner then rolls the
 * batch back), and counts the afterCommit callbacks that actually ran. `run` applies batches of
 * partitions 0 and 1 until caught up; returns the counts.
 */
export function rollingBackEveryThird(inner: Projection): {
  projection: Projection;
  run: (runner: ProjectionRunner) => Promise<{ batches: number; failures: number; committedCallbacks: number }>;
} {
  let batches = 0;
  let committedCallbacks = 0;
  const projection: Projection = {
    name: inner.name,
    tables: inner.tables,
    wantsPayloads: inner.wantsPayloads,
    apply: async (client, events, now, batch?: BatchInfo) => {
      const counted: BatchInfo | undefined = batch && {
        ...batch,
        afterCommit: (fn) => batch.afterCommit(() => (committedCallbacks++, fn())),
      };
      await inner.apply(client, events, now, counted);
      if (++batches % 3 === 0) throw new Error('rolled back on purpose');
    },
  };
  const run = async (runner: ProjectionRunner) => {
    let failures = 0;
    for (let round = 0; round < 10_000; round++) {
      let applied = 0;
      for (const p of [0, 1]) {
        const [outcome] = await runner.applyTogether([projection], p);
        if (outcome.error) failures++;
        else if (typeof outcome.events === 'number') applied += outcome.events;
      }
      if (applied === 0 && failures > 0 && (await runner.isCaughtUp(projection))) break;
    }
    return { batches, failures, committedCallbacks };
  };
  return { projection, run };
}

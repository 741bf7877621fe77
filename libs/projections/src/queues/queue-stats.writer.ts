import { PoolClient } from 'pg';
import { QueueOutcome } from './queue-attempts.reducer';
import { QueueCounters, QueueThresholds, addCounters, classify, emptyCounters } from './queue-stats';

/** One 15-minute UTC bucket of one queue of one tenant. */
export interface BucketKey {
  tenantId: string;
  queue: string;
  bucketStart: Date;
}

interface AttemptRow {
  tenant_id: string;
  queue: string;
  bucket_start: Date;
  outcome: QueueOutcome;
  wait_seconds: number | null;
  talk_seconds: number | null;
}

const COUNTER_COLUMNS: ReadonlyArray<[keyof QueueCounters, string, string]> = [
  ['offered', 'offered', 'int'],
  ['answered', 'answered', 'int'],
  ['answeredWithinSla', 'answered_within_sla', 'int'],
  ['abandoned', 'abandoned', 'int'],
  ['shortAbandoned', 'short_abandoned', 'int'],
  ['timedOut', 'timed_out', 'int'],
  ['callbacks', 'callbacks', 'int'],
  ['sumAnswerWait', 'sum_answer_wait', 'bigint'],
  ['answeredWithWait', 'answered_with_wait', 'int'],
  ['maxWait', 'max_wait', 'int'],
  ['sumAbandonWait', 'sum_abandon_wait', 'bigint'],
  ['abandonedWithWait', 'abandoned_with_wait', 'int'],
  ['sumTalk', 'sum_talk', 'bigint'],
  ['answeredWithTalk', 'answered_with_talk', 'int'],
  ['sumHandle', 'sum_handle', 'bigint'],
  ['answeredWithHandle', 'answered_with_handle', 'int'],
];

/**
 * Recomputes the stats rows of the given buckets from queue_attempts, under each tenant's current
 * thresholds (classify() of queue-stats.ts, the one definition of every counter): a bucket left
 * without attempts loses its row. Idempotent; the cost is the attempts of the touched buckets.
 */
export async function recomputeBuckets(client: PoolClient, keys: readonly BucketKey[]): Promise<void> {
  const unique = new Map<string, BucketKey>();
  for (const k of keys) unique.set(`${k.tenantId}/${k.queue}/${k.bucketStart.getTime()}`, k);
  if (unique.size === 0) return;
  const list = [...unique.values()];
  const args = [list.map((k) => k.tenantId), list.map((k) => k.queue), list.map((k) => k.bucketStart)];
  // FOR SHARE: a threshold change (tenant row updated, then recomputeTenantQueueStats in the same
  // transaction) and this batch serialise, so no bucket is left computed with the old thresholds.
  const { rows: tenants } = await client.query<{ id: string; sla_seconds: number; short_abandon_seconds: number }>(
    `SELECT id, sla_seconds, short_abandon_seconds FROM tenants WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE`,
    [[...new Set(list.map((k) => k.tenantId))]],
  );
  const thresholds = new Map<string, QueueThresholds>(
    tenants.map((t) => [t.id, { slaSeconds: t.sla_seconds, shortAbandonSeconds: t.short_abandon_seconds }]),
  );
  const { rows } = await client.query<AttemptRow>(
    `SELECT a.tenant_id, a.queue, a.bucket_start, a.outcome, a.wait_seconds, a.talk_seconds
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS k(tenant_id, queue, bucket_start)
     JOIN queue_attempts a ON a.tenant_id = k.tenant_id AND a.queue = k.queue AND a.bucket_start = k.bucket_start`,
    args,
  );
  const sums = new Map<string, { key: BucketKey; counters: QueueCounters }>();
  for (const r of rows) {
    const id = `${r.tenant_id}/${r.queue}/${r.bucket_start.getTime()}`;
    const entry = sums.get(id) ?? { key: unique.get(id)!, counters: emptyCounters() };
    const limits = thresholds.get(r.tenant_id);
    if (!limits) continue; // the tenant is gone: its rows are deleted below
    const one = classify({ outcome: r.outcome, waitSeconds: r.wait_seconds, talkSeconds: r.talk_seconds }, limits);
    entry.counters = addCounters(entry.counters, one);
    sums.set(id, entry);
  }
  await client.query(
    `DELETE FROM queue_interval_stats s USING unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS k(tenant_id, queue, bucket_start)
     WHERE s.tenant_id = k.tenant_id AND s.queue = k.queue AND s.bucket_start = k.bucket_start`,
    args,
  );
  if (sums.size > 0) await insertBuckets(client, [...sums.values()]);
  await refreshHourStats(client, args);
}

async function insertBuckets(client: PoolClient, entries: Array<{ key: BucketKey; counters: QueueCounters }>) {
  const columns = COUNTER_COLUMNS.map(([field]) => entries.map((e) => e.counters[field]));
  await client.query(
    `INSERT INTO queue_interval_stats (tenant_id, queue, bucket_start, ${COUNTER_COLUMNS.map(([, c]) => c).join(', ')})
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], ${COUNTER_COLUMNS.map(([, , t], i) => `$${i + 4}::${t}[]`).join(', ')})`,
    [
      entries.map((e) => e.key.tenantId),
      entries.map((e) => e.key.queue),
      entries.map((e) => e.key.bucketStart),
      ...columns,
    ],
  );
}

/** SQL of the instant the local hour (in `zone`) holding the instant `at` began (see queue_hour_stats). */
export const localHourStartSql = (at: string, zone: string): string =>
  `(${at} - make_interval(mins => extract(minute FROM ${at} AT TIME ZONE ${zone})::int))`;

const HOUR_COLUMNS = COUNTER_COLUMNS.map(([, c]) => c);
const HOUR_SUMS = COUNTER_COLUMNS.map(([, c]) => `${c === 'max_wait' ? 'max' : 'sum'}(s.${c}) AS ${c}`).join(', ');

/**
 * Recomputes the queue_hour_stats rows (hours of the tenant's zone) that hold the given 15-minute
 * buckets, from queue_interval_stats: an hour left without buckets loses its row.
 */
async function refreshHourStats(client: PoolClient, args: unknown[]): Promise<void> {
  const hours = `SELECT DISTINCT k.tenant_id, k.queue, t.timezone, ${localHourStartSql('k.bucket_start', 't.timezone')} AS hour_start
     FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS k(tenant_id, queue, bucket_start)
     JOIN tenants t ON t.id = k.tenant_id`;
  await client.query(
    `WITH h AS (${hours})
     DELETE FROM queue_hour_stats s USING h
     WHERE s.tenant_id = h.tenant_id AND s.queue = h.queue AND s.bucket_start = h.hour_start`,
    args,
  );
  await client.query(
    // LATERAL: one index range per hour whatever the statistics say (a join may be planned as a
    // scan of the whole table while a catch-up outgrows them). An hour without buckets sums to NULLs.
    `WITH h AS (${hours})
     INSERT INTO queue_hour_stats (tenant_id, queue, bucket_start, ${HOUR_COLUMNS.join(', ')})
     SELECT h.tenant_id, h.queue, h.hour_start, x.*
     FROM h CROSS JOIN LATERAL (
       SELECT ${HOUR_SUMS} FROM queue_interval_stats s
       WHERE s.tenant_id = h.tenant_id AND s.queue = h.queue
         AND s.bucket_start >= h.hour_start - interval '1 hour' AND s.bucket_start < h.hour_start + interval '2 hours'
         AND ${localHourStartSql('s.bucket_start', 'h.timezone')} = h.hour_start
     ) x
     WHERE x.offered IS NOT NULL`,
    args,
  );
}

/**
 * Rebuilds a tenant's queue_hour_stats in its current zone (after the zone changed), in the
 * caller's transaction. Returns the number of hour rows written.
 */
export async function rebuildTenantQueueHourStats(client: PoolClient, tenantId: string): Promise<number> {
  await client.query('DELETE FROM queue_hour_stats WHERE tenant_id = $1', [tenantId]);
  const result = await client.query(
    `INSERT INTO queue_hour_stats (tenant_id, queue, bucket_start, ${HOUR_COLUMNS.join(', ')})
     SELECT s.tenant_id, s.queue, ${localHourStartSql('s.bucket_start', 't.timezone')}, ${HOUR_SUMS}
     FROM queue_interval_stats s JOIN tenants t ON t.id = s.tenant_id
     WHERE s.tenant_id = $1
     GROUP BY 1, 2, 3`,
    [tenantId],
  );
  return result.rowCount ?? 0;
}

/**
 * Recomputes every stats row of a tenant (after its SLA or short-abandon threshold changed), in
 * the caller's transaction. Returns the number of buckets recomputed.
 */
export async function recomputeTenantQueueStats(client: PoolClient, tenantId: string): Promise<number> {
  const { rows } = await client.query<{ queue: string; bucket_start: Date }>(
    `SELECT DISTINCT queue, bucket_start FROM queue_attempts WHERE tenant_id = $1
     UNION SELECT queue, bucket_start FROM queue_interval_stats WHERE tenant_id = $1`,
    [tenantId],
  );
  const chunk = 5000;
  for (let i = 0; i < rows.length; i += chunk) {
    await recomputeBuckets(
      client,
      rows.slice(i, i + chunk).map((r) => ({ tenantId, queue: r.queue, bucketStart: r.bucket_start })),
    );
  }
  return rows.length;
}

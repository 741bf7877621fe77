import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Queue } from 'bullmq';
import { Pool } from 'pg';
import {
  BillingInputError,
  CarrierImportResult,
  RateImportResult,
  enqueueReconciliation,
  importCarrierFile,
  importRates,
  processRun,
  requestRun,
  validRunRequest,
} from '@app/billing';
import { AppConfig, QUEUES, configureQueueBackend, withTransaction } from '@app/platform';
import { reconciliationRun } from '@app/reporting';

/** CLI flags of the fields billing errors name. */
const FLAGS: Record<string, string> = {
  matchToleranceSeconds: 'match-tolerance',
  durationToleranceSeconds: 'duration-tolerance',
  costTolerance: 'cost-tolerance',
};

/** A billing input error worded with the CLI flag it came from. */
export class BillingUsageError extends Error {}

async function withPool<T>(databaseUrl: string, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
  try {
    return await fn(pool);
  } catch (error) {
    if (error instanceof BillingInputError)
      throw new BillingUsageError(
        ['file', 'mapping'].includes(error.field) || error.message.startsWith('--')
          ? error.message
          : `--${FLAGS[error.field] ?? error.field}: ${error.message}`,
      );
    throw error;
  } finally {
    await pool.end();
  }
}

async function readableFile(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a file');
  } catch (error) {
    throw new BillingUsageError(`--file: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** `rates:import`: one transaction — the rates and the re-rating commit together or not at all. */
export async function ratesImport(
  databaseUrl: string,
  v: { tenant: string; carrier: string; file: string; currency?: string },
): Promise<RateImportResult> {
  await readableFile(v.file);
  return withPool(databaseUrl, (pool) =>
    withTransaction(pool, (client) =>
      importRates(client, {
        tenantId: v.tenant,
        carrier: v.carrier,
        currency: v.currency ?? null,
        fileName: basename(v.file),
        input: createReadStream(v.file),
      }),
    ),
  );
}

/** `carrier:import`: `--mapping` is JSON, or `@path` of a JSON file. */
export async function carrierImport(
  databaseUrl: string,
  v: { tenant: string; carrier: string; file: string; mapping?: string },
): Promise<CarrierImportResult> {
  await readableFile(v.file);
  let mapping = v.mapping ?? null;
  if (mapping?.startsWith('@')) {
    try {
      mapping = await readFile(mapping.slice(1), 'utf8');
    } catch (error) {
      throw new BillingUsageError(`--mapping: cannot read ${mapping.slice(1)}: ${(error as Error).message}`);
    }
  }
  return withPool(databaseUrl, (pool) =>
    withTransaction(pool, (client) =>
      importCarrierFile(client, {
        tenantId: v.tenant,
        carrier: v.carrier,
        mapping,
        fileName: basename(v.file),
        input: createReadStream(v.file),
      }),
    ),
  );
}

/**
 * `reconcile`: queues a run (or finds the identical one still queued or running). Without
 * `--wait` it rings the workers and answers `{"runId", "status"}`; with `--wait` it reconciles
 * here (or waits for the worker that already has it) and answers the run's totals.
 */
export async function reconcile(
  config: AppConfig,
  databaseUrl: string,
  v: {
    tenant: string;
    carrier: string;
    from: string;
    to: string;
    wait: boolean;
    matchTolerance?: string;
    durationTolerance?: string;
    costTolerance?: string;
  },
  warn: (message: string) => void,
): Promise<Record<string, unknown>> {
  return withPool(databaseUrl, async (pool) => {
    const request = validRunRequest({
      tenantId: v.tenant,
      carrier: v.carrier,
      from: v.from,
      to: v.to,
      matchToleranceSeconds: v.matchTolerance,
      durationToleranceSeconds: v.durationTolerance,
      costTolerance: v.costTolerance,
    });
    const { rows } = await pool.query('SELECT 1 FROM tenants WHERE id = $1', [request.tenantId]);
    if (!rows.length) throw new BillingUsageError(`--tenant: unknown tenant ${request.tenantId}`);
    const { id } = await withTransaction(pool, (client) => requestRun(client, request));
    if (!v.wait) {
      await ring(config, databaseUrl, { tenantId: request.tenantId, runId: id }).catch((error: unknown) =>
        warn(
          `billing queue unavailable (${(error as Error).message}); a worker's sweep will run ${id} within a minute`,
        ),
      );
      return { runId: id, status: 'QUEUED' };
    }
    await processRun(pool, { tenantId: request.tenantId, runId: id });
    for (;;) {
      const run = await reconciliationRun(pool, request.tenantId, id);
      if (!run) throw new Error(`reconciliation run ${id} disappeared`);
      if (run.status === 'FAILED') throw new Error(`reconciliation run ${id} failed: ${run.error ?? 'unknown error'}`);
      if (run.status === 'SUCCEEDED') {
        const { id: runId, ...rest } = run;
        return { runId, ...rest };
      }
      // Another process (a worker) has it: wait for it to finish.
      await new Promise((r) => setTimeout(r, 500));
    }
  });
}

async function ring(config: AppConfig, databaseUrl: string, job: { tenantId: string; runId: string }): Promise<void> {
  const backend = configureQueueBackend(config.queue.redisUrl, databaseUrl, false);
  // Fail fast when Redis is down: the run row is the truth and the workers sweep queued runs.
  const connection =
    backend.kind === 'redis'
      ? { ...backend.connection, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 3000 }
      : backend.connection;
  const queue = new Queue(QUEUES.billing, { connection: connection as never, prefix: config.queue.prefix });
  queue.on('error', () => undefined);
  try {
    await Promise.race([
      queue.waitUntilReady().then(() => enqueueReconciliation(queue, job)),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), 5000).unref()),
    ]);
  } finally {
    await queue.close().catch(() => undefined);
  }
}

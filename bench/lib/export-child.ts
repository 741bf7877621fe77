import 'reflect-metadata';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { ExportRequestInput, ExportService } from '@app/exports';
import { APP_CONFIG, AppConfig, PG_POOL, TenantDb } from '@app/platform';
import { WorkerModule } from '../../apps/worker/worker.module';
import { serveParent } from './child';
import { startApp } from './ingest-app';

/**
 * The exporting process of the exports benchmark: the real worker app (WorkerModule on appRoot,
 * BullMQ on Redis, product defaults), in a process of its own so that its RSS is its own. `run`
 * requests an export as runExport does (ExportService.requestRun in the tenant's session) and
 * waits until this process's worker has written it; the figures come from the run's row.
 */

export interface ExportOutcome {
  runId: string;
  status: string;
  error: string | null;
  rowCount: number;
  bytes: number;
  /** started_at → finished_at of the run: the export itself, file flushed to disk. */
  seconds: number;
  /** Request → SUCCEEDED, queue pickup included. */
  wallSeconds: number;
  /** Highest RSS sampled (every 20 ms) during the run; and the RSS before it. */
  peakRssBytes: number;
  rssBeforeBytes: number;
  file: string;
}

let close: (() => Promise<void>) | undefined;
let worker: { service: ExportService; pool: Pool; config: AppConfig } | undefined;
let peak = 0;
setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20).unref();

serveParent(
  {
    async start(args: { databaseUrl: string; env: Record<string, string> }) {
      const { app } = await startApp(args.databaseUrl, [WorkerModule], args.env);
      close = () => app.close();
      worker = {
        service: app.get(ExportService),
        pool: app.get<Pool>(PG_POOL),
        config: app.get<AppConfig>(APP_CONFIG),
      };
      return { rssBytes: process.memoryUsage.rss() };
    },
    async run(args: { tenantId: string; request: ExportRequestInput }): Promise<ExportOutcome> {
      if (!worker) throw new Error('start first');
      const { service, pool, config } = worker;
      const rssBeforeBytes = process.memoryUsage.rss();
      peak = rssBeforeBytes;
      const t0 = performance.now();
      const queued = await service.requestRun(new TenantDb(pool, args.tenantId), args.request);
      for (;;) {
        const run = await service.runById(pool, queued.id);
        if (run && (run.status === 'SUCCEEDED' || run.status === 'FAILED')) {
          return {
            runId: run.id,
            status: run.status,
            error: run.error,
            rowCount: run.rowCount ?? 0,
            bytes: run.bytes ?? 0,
            seconds: (run.finishedAt!.getTime() - run.startedAt!.getTime()) / 1000,
            wallSeconds: (performance.now() - t0) / 1000,
            peakRssBytes: peak,
            rssBeforeBytes,
            file: join(config.exports.dir, run.filePath ?? ''),
          };
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  },
  async () => {
    await close?.();
  },
);

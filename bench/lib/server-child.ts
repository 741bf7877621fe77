import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Pool } from 'pg';
import { serveParent } from './child';

/**
 * A server under HTTP load, in a process of its own so that its RSS and CPU are its own and the
 * harness never shares its event loop. `ingest`: the real ingest app (IngestModule on appRoot /
 * createHttpApp, Redis queue, group commit, product defaults). `reference`: the bare `http`
 * server of reference-server.ts. Each gets a tenant with a PortSIP source of auth `none` and one
 * of auth `token`. Only what a kind needs is loaded: the reference never loads Nest.
 */

export interface ServerInfo {
  port: number;
  tenantId: string;
  sources: Array<{ id: string; auth: 'none' | 'token' }>;
  token: string;
}

export interface ServerStats {
  /** RSS now and the highest RSS sampled (every 100 ms) since the previous stats call. */
  rssBytes: number;
  peakRssBytes: number;
  /** CPU time of this process since the previous stats call. */
  cpuSeconds: number;
  /** Garbage-collection pauses of this process since the previous stats call (their wall time). */
  gcSeconds: number;
  /** Of which scavenges (young generation), and how many. */
  scavengeSeconds: number;
  scavenges: number;
}

/** The X-Pbx-Token of both kinds' `token` source. */
const TOKEN = 'bench_0123456789abcdefABCDEF';

let close: (() => Promise<void>) | undefined;
/** The worker's own account of its projection work (cdr_projection_*_seconds on /metrics). */
let projectionTimes: (() => Promise<ProjectionTimes>) | undefined;

/** Seconds and batches per projection (and `read` for the shared reads of the store). */
export type ProjectionTimes = Record<string, { seconds: number; batches: number; events: number }>;
let peak = 0;
let cpu = process.cpuUsage();
const gc = { seconds: 0, scavengeSeconds: 0, scavenges: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.seconds += e.duration / 1000;
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      gc.scavengeSeconds += e.duration / 1000;
      gc.scavenges++;
    }
  }
}).observe({ entryTypes: ['gc'] });
setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100).unref();

serveParent(
  {
    async start(args: { kind: 'ingest' | 'reference' | 'worker'; databaseUrl: string; env?: Record<string, string> }) {
      if (args.kind === 'worker') {
        const { startApp } = await import('./ingest-app');
        const { WorkerModule } = await import('../../apps/worker/worker.module');
        const { Metrics } = await import('@app/platform');
        const { app, port } = await startApp(args.databaseUrl, [WorkerModule], args.env);
        close = () => app.close();
        const metrics = app.get(Metrics);
        projectionTimes = async () => {
          const out: ProjectionTimes = {};
          const add = (name: string, field: 'seconds' | 'batches' | 'events', value: number) =>
            ((out[name] ??= { seconds: 0, batches: 0, events: 0 })[field] += value);
          for (const v of (await metrics.projectionEvents.get()).values)
            add(String(v.labels.projection), 'events', v.value);
          for (const m of [metrics.projectionBatchSeconds, metrics.projectionReadSeconds]) {
            for (const v of (await m.get()).values) {
              const name = String(v.labels.projection ?? 'read');
              if (v.metricName?.endsWith('_sum')) add(name, 'seconds', v.value);
              if (v.metricName?.endsWith('_count')) add(name, 'batches', v.value);
            }
          }
          return out;
        };
        return { port, tenantId: '', sources: [], token: '' } satisfies ServerInfo;
      }
      if (args.kind === 'ingest') {
        const { startApp, portsipTenant } = await import('./ingest-app');
        const { IngestModule } = await import('../../apps/ingest/ingest.module');
        const { TenancyService } = await import('@app/platform');
        const { app, port } = await startApp(args.databaseUrl, [IngestModule], args.env);
        close = () => app.close();
        const t = await portsipTenant(app.get(TenancyService), 'bench-ingest', ['none', 'token'], TOKEN);
        return { port, tenantId: t.tenantId, sources: t.sources, token: TOKEN } satisfies ServerInfo;
      }
      const { startReferenceServer } = await import('./reference-server');
      const tenantId = randomUUID();
      const sources = [
        { id: randomUUID(), auth: 'none' as const },
        { id: randomUUID(), auth: 'token' as const },
      ];
      // The same pool size as the product's default (DATABASE_POOL_SIZE=20); at most 4 are busy.
      const pool = new Pool({ connectionString: args.databaseUrl, max: 20, application_name: 'cdr-bench-reference' });
      pool.on('error', () => undefined);
      const server = await startReferenceServer(
        pool,
        sources.map((s) => ({ id: s.id, tenantId, token: s.auth === 'token' ? TOKEN : null })),
      );
      close = async () => {
        await server.close();
        await pool.end();
      };
      return { port: server.port, tenantId, sources, token: TOKEN } satisfies ServerInfo;
    },
    /** The worker's projection times so far (a worker only). */
    async projectionTimes(): Promise<ProjectionTimes> {
      if (!projectionTimes) throw new Error('projectionTimes: not a worker');
      return projectionTimes();
    },
    stats(): ServerStats {
      const rssBytes = process.memoryUsage.rss();
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      const out = {
        rssBytes,
        peakRssBytes: Math.max(peak, rssBytes),
        cpuSeconds: (used.user + used.system) / 1e6,
        gcSeconds: gc.seconds,
        scavengeSeconds: gc.scavengeSeconds,
        scavenges: gc.scavenges,
      };
      peak = rssBytes;
      Object.assign(gc, { seconds: 0, scavengeSeconds: 0, scavenges: 0 });
      return out;
    },
  },
  async () => {
    await close?.();
  },
);

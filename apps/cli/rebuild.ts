import { fork } from 'node:child_process';
import { extname, join } from 'node:path';
import { Pool } from 'pg';
import { EventStore } from '@app/event-store';
import { ProjectionRunner, allProjections } from '@app/projections';

/** What one catch-up process of a rebuild does: its share of a projection's partitions. */
export interface CatchUpShare {
  databaseUrl: string;
  projection: string;
  /** PROJECTION_PARTITIONS. */
  partitions: number;
  /** The partitions this process advances. */
  only: number[];
  batchSize: number;
  /** Partitions it advances at once, a connection each. */
  lanes: number;
}

/** Messages a catch-up process sends its parent. */
export type ShareMessage = { events: number };

/** Runs one share in this process (ProjectionRunner.catchUp over `only`); `onBatch` gets each batch's events. */
export async function catchUpShare(share: CatchUpShare, onBatch: (events: number) => void): Promise<number> {
  const projection = allProjections().find((p) => p.name === share.projection);
  if (!projection) throw new Error(`unknown projection "${share.projection}"`);
  const pool = new Pool({ connectionString: share.databaseUrl, max: share.lanes });
  pool.on('error', () => undefined); // a dropped idle connection: the next query reports it
  try {
    const runner = new ProjectionRunner(pool, new EventStore(pool), {
      partitions: share.partitions,
      batchSize: share.batchSize,
      catchUpConcurrency: share.lanes,
    });
    return await runner.catchUp(projection, onBatch, share.only);
  } finally {
    await pool.end();
  }
}

/**
 * The shares of a rebuild: `processes` processes (at most one per partition), partitions dealt
 * round-robin, and `lanes` partitions at once in all (at least one per process).
 */
export function rebuildShares(
  base: Omit<CatchUpShare, 'only' | 'lanes'>,
  processes: number,
  lanes: number,
): CatchUpShare[] {
  const n = Math.max(1, Math.min(processes, base.partitions));
  return Array.from({ length: n }, (_, i) => {
    const only = Array.from({ length: base.partitions }, (_, p) => p).filter((p) => p % n === i);
    return { ...base, only, lanes: Math.min(only.length, Math.max(1, Math.ceil(lanes / n))) };
  });
}

/**
 * Runs each share in a process of its own (rebuild-child), and resolves with the events applied
 * once all have finished. A projection batch folds in JavaScript, so one process keeps one core
 * busy at most: with its share of the partitions each, rebuild processes use the other cores
 * (docs/projections.md, "Rebuild"). The first process to fail stops the others (every batch is a
 * transaction of its own: what committed stays, the rest rolls back) and rejects the call.
 */
export async function catchUpInProcesses(shares: CatchUpShare[], onBatch: (events: number) => void): Promise<number> {
  const ext = extname(__filename);
  // From the sources (tests), the child needs TypeScript and the path aliases registered.
  const execArgv =
    ext === '.ts' ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'] : process.execArgv;
  const children = shares.map((share) =>
    fork(join(__dirname, `rebuild-child${ext}`), [JSON.stringify(share)], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  let failed: Error | undefined;
  const runs = children.map(
    (child, i) =>
      new Promise<number>((resolve) => {
        let events = 0;
        child.on('message', (m: ShareMessage) => {
          events += m.events;
          onBatch(m.events);
        });
        child.on('exit', (code, signal) => {
          if (code !== 0 && !failed) {
            failed = new Error(
              `rebuild process for partitions ${shares[i].only.join(', ')} of ${shares[i].projection} failed ` +
                `(${signal ? `signal ${signal}` : `exit code ${code}`}; its error is above)`,
            );
            for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
          }
          resolve(events);
        });
      }),
  );
  const totals = await Promise.all(runs);
  if (failed) throw failed;
  return totals.reduce((a, b) => a + b, 0);
}

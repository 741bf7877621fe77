import { performance } from 'node:perf_hooks';
import type { CatchUpProgress } from './catchup-child';
import { BenchChild, PROJECTION_NODE_FLAGS, startChild } from './child';
import { describeTimes, mergeTimes } from './query-timing';
import { rebuildShares } from '../../apps/cli/rebuild';

export interface CatchUpOptions {
  /** A projection name of catchup-child (call-sessions by default). */
  projection?: string;
  partitions: number;
  batchSize: number;
  /** Partitions each runner advances at once (ProjectionRunner catchUpConcurrency); 1 by default. */
  lanes?: number;
  /**
   * The runners share the partitions as `projections:rebuild`'s processes do (rebuildShares),
   * `lanes` then counting the partitions advanced at once in all; else each runs every partition.
   */
  shared?: boolean;
  /** Stop after this long; the rate over the window is then the figure (`done` false). */
  budgetSeconds?: number;
}

/**
 * Cold catch-up of a projection by `runners` processes at once (each a ProjectionRunner of its
 * own, like worker processes, advancing `lanes` partitions at once). Runs to the end, or stops them after `budgetSeconds`.
 */
export async function catchUpWith(
  databaseUrl: string,
  runners: number,
  opts: CatchUpOptions,
): Promise<{ events: number; seconds: number; done: boolean; detail: string }> {
  const children: BenchChild[] = [];
  const shares = opts.shared
    ? rebuildShares(
        {
          databaseUrl,
          projection: opts.projection ?? 'call-sessions',
          partitions: opts.partitions,
          batchSize: opts.batchSize,
        },
        runners,
        opts.lanes ?? 1,
      )
    : undefined;
  if (shares && shares.length !== runners)
    throw new Error(`${runners} runners cannot share ${opts.partitions} partitions`);
  const lanesOf = (i: number) => shares?.[i].lanes ?? opts.lanes ?? 1;
  try {
    for (let i = 0; i < runners; i++) children.push(startChild('catchup-child', { execArgv: PROJECTION_NODE_FLAGS }));
    await Promise.all(
      children.map((c, i) =>
        c.call('prepare', {
          databaseUrl,
          partitions: opts.partitions,
          batchSize: opts.batchSize,
          lanes: lanesOf(i),
        }),
      ),
    );
    const started = performance.now();
    await Promise.all(
      children.map((c, i) => c.call('startCatchUp', { projection: opts.projection, only: shares?.[i].only })),
    );
    const budgetMs = (opts.budgetSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    let progress: CatchUpProgress[];
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      progress = await Promise.all(children.map((c) => c.call<CatchUpProgress>('progress')));
      if (progress.every((p) => p.done) || performance.now() - started > budgetMs) break;
    }
    const done = progress.every((p) => p.done);
    const seconds = done ? Math.max(...progress.map((p) => p.seconds)) : (performance.now() - started) / 1000;
    const events = progress.reduce((s, p) => s + p.events, 0);
    // Lane time: with several lanes per runner their queries overlap, so shares are of runners × lanes × wall.
    const runnerMs = progress.reduce((s, p, i) => s + p.seconds * 1000 * lanesOf(i), 0);
    return { events, seconds, done, detail: describeTimes(mergeTimes(progress.map((p) => p.times)), runnerMs) };
  } finally {
    // Stopping mid-run rolls back the batch in flight; the next reset waits for it.
    await Promise.all(children.map((c) => c.close()));
  }
}

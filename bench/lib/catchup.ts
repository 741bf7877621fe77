import { performance } from 'node:perf_hooks';
import type { CatchUpProgress } from './catchup-child';
import { BenchChild, PROJECTION_NODE_FLAGS, startChild } from './child';
import { describeTimes, mergeTimes } from './query-timing';

export interface CatchUpOptions {
  /** A projection name of catchup-child (call-sessions by default). */
  projection?: string;
  partitions: number;
  batchSize: number;
  /** Partitions each runner advances at once (ProjectionRunner catchUpConcurrency); 1 by default. */
  lanes?: number;
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
  try {
    for (let i = 0; i < runners; i++) children.push(startChild('catchup-child', { execArgv: PROJECTION_NODE_FLAGS }));
    await Promise.all(
      children.map((c) =>
        c.call('prepare', {
          databaseUrl,
          partitions: opts.partitions,
          batchSize: opts.batchSize,
          lanes: opts.lanes ?? 1,
        }),
      ),
    );
    const started = performance.now();
    await Promise.all(children.map((c) => c.call('startCatchUp', { projection: opts.projection })));
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
    const runnerMs = progress.reduce((s, p) => s + p.seconds * 1000, 0) * (opts.lanes ?? 1);
    return { events, seconds, done, detail: describeTimes(mergeTimes(progress.map((p) => p.times)), runnerMs) };
  } finally {
    // Stopping mid-run rolls back the batch in flight; the next reset waits for it.
    await Promise.all(children.map((c) => c.close()));
  }
}

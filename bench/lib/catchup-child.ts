import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { EventStore, START_CHECKPOINT } from '@app/event-store';
import { AgentTimelineProjection } from '@app/projections/agents/agent-timeline.projection';
import { ExtensionDirectoryProjection } from '@app/projections/agents/extension-directory.projection';
import { CallSessionsProjection } from '@app/projections/call-sessions/call-sessions.projection';
import { QueueAttemptsProjection } from '@app/projections/queues/queue-attempts.projection';
import type { Projection } from '@app/projections/runner/projection';
import { ProjectionRunner } from '@app/projections/runner/projection-runner';
import { serveParent } from './child';
import { QueryTimer, QueryTimes } from './query-timing';

/**
 * A projection process for the projections benchmark, with a ProjectionRunner of its own (own
 * process, own pool, like a worker process). `catchUp`: runs catchUp of the call-sessions
 * projection, with every query timed by kind so the report can say where the time went.
 * `observe`: samples the lag of one projection — call-sessions (advanced by the app's worker), or
 * the no-op reference projection that this process then advances itself, polling every 100 ms —
 * away from the app's event loop, so a busy app neither delays the samples nor the reference.
 * One at a time: the reference's polling costs a quarter of a core (its reads and their look at
 * pg_locks), which would be taken from the worker under measurement.
 */

export interface CatchUpProgress {
  /** Events applied so far. */
  events: number;
  seconds: number;
  /** catchUp returned: every partition caught up. */
  done: boolean;
  times: QueryTimes;
}

/** The product's projections by name, for `startCatchUp`. */
const CATCHUP_PROJECTIONS: Readonly<Record<string, () => Projection>> = {
  'call-sessions': () => new CallSessionsProjection(),
  'queue-attempts': () => new QueueAttemptsProjection(),
  'agent-timeline': () => new AgentTimelineProjection(),
  'extension-directory': () => new ExtensionDirectoryProjection(),
};

/** SQL text → phase of a projection batch (see ProjectionRunner and CallSessionsProjection). */
export const PROJECTION_PHASES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(BEGIN|COMMIT|ROLLBACK)/, 'begin/commit'],
  [/pg_try_advisory_xact_lock/, 'partition lock'],
  [/pg_snapshot_xip/, 'readAfter (batch keys)'],
  [/JOIN raw_events e ON/, 'load events of touched calls'],
  [/FROM sources s JOIN tenants/, 'source settings'],
  [/INSERT INTO call_sessions/, 'upsert call_sessions'],
  [/DELETE FROM call_legs/, 'delete call_legs'],
  [/INSERT INTO call_legs/, 'insert call_legs'],
  [/projection_checkpoints/, 'checkpoint read/save'],
  [/queue_interval_stats/, 'write queue_interval_stats'],
  [/queue_attempts|queue_event_calls|queue_mappings|queue_sla_breaches/, 'queue attempt tables'],
  [/agent_interval_stats/, 'write agent_interval_stats'],
  [/WITH RECURSIVE back/, 'agent re-fold windows'],
  [/INSERT INTO agent_changes/, 'insert agent_changes'],
  [/FROM agent_changes c\s+WHERE c.tenant_id = w.tenant_id/, 'load agent_changes of windows'],
  [/FROM agent_latest_changes l WHERE/, 'latest change per agent'],
  [/DELETE FROM agent_segments/, 'delete agent_segments'],
  [/INSERT INTO agent_segments/, 'insert agent_segments'],
  [/s.state = 'RINGING'/, 'earliest rings'],
  [/agent_segments_reaching\(k\./, 'load agent_segments for stats'],
  [/agent_segments|agent_changes|agent_queue_labels/, 'agent timeline tables'],
  [/extension_event_refs|extensions/, 'extension tables'],
  [/FROM raw_events/, 'load events'],
];

let runner: ProjectionRunner | undefined;
let pool: Pool | undefined;
let timer: QueryTimer | undefined;
let catching: { started: number; events: number; done: boolean; failed?: unknown; ended?: number } | undefined;

/** The reference of the lag measurement: a projection whose apply does nothing. */
export const NOOP_PROJECTION: Projection = { name: 'bench-noop', tables: [], apply: () => Promise.resolve() };

/** Max over partitions of ProjectionRunner.lag() seconds, per sample. */
export type LagSamples = number[];

/** Which projection `observe` samples: the product's call-sessions, or the no-op reference it advances. */
export type Observed = 'call-sessions' | 'noop';

let observing: { stop: () => Promise<LagSamples> } | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function maxLag(r: ProjectionRunner, projection: Projection): Promise<number> {
  return Math.max(...(await r.lag(projection)).map((l) => l.seconds));
}

/** Starts the no-op projection's checkpoints at the end of the store, so it has no backlog. */
async function startAtEnd(r: ProjectionRunner, store: EventStore, p: Pool, partitions: number): Promise<void> {
  const { rows } = await p.query<{ tx_id: string; position: string }>(
    // Qualified: bare names would sort the text output columns ('99999' > '100000').
    'SELECT tx_id::text, position::text FROM raw_events ORDER BY raw_events.tx_id DESC, raw_events.position DESC LIMIT 1',
  );
  const end = rows[0] ? { txId: rows[0].tx_id, position: rows[0].position } : START_CHECKPOINT;
  for (let i = 0; i < partitions; i++) {
    await store.saveCheckpoint(r.checkpointName(NOOP_PROJECTION, i), START_CHECKPOINT, end);
  }
}

serveParent(
  {
    prepare(args: { databaseUrl: string; partitions: number; batchSize: number; lanes?: number }) {
      timer = new QueryTimer(PROJECTION_PHASES);
      const lanes = args.lanes ?? 1;
      pool = timer.instrument(
        new Pool({
          connectionString: args.databaseUrl,
          max: Math.max(4, lanes),
          application_name: 'cdr-bench-catchup',
        }),
      );
      pool.on('error', () => undefined);
      runner = new ProjectionRunner(pool, new EventStore(pool), {
        partitions: args.partitions,
        batchSize: args.batchSize,
        catchUpConcurrency: lanes,
      });
      return null;
    },
    async observe(args: { sampleMs: number; pollMs: number; projection: Observed }): Promise<null> {
      if (!runner || !pool) throw new Error('prepare first');
      const r = runner;
      const reference = args.projection === 'noop';
      const observed = reference ? NOOP_PROJECTION : new CallSessionsProjection();
      if (reference) await startAtEnd(r, new EventStore(pool), pool, r.options.partitions);
      const samples: LagSamples = [];
      let stopped = false;
      const follow = (async () => {
        while (reference && !stopped) {
          for (let p = 0; p < r.options.partitions; p++) await r.runPartition(NOOP_PROJECTION, p, 1000);
          await sleep(args.pollMs);
        }
      })();
      const sample = (async () => {
        while (!stopped) {
          const next = performance.now() + args.sampleMs;
          samples.push(await maxLag(r, observed));
          await sleep(Math.max(0, next - performance.now()));
        }
      })();
      observing = {
        stop: async () => {
          stopped = true;
          await Promise.all([follow, sample]);
          return samples;
        },
      };
      return null;
    },
    stopObserving(): Promise<LagSamples> {
      if (!observing) throw new Error('not observing');
      return observing.stop();
    },
    async lagNow(): Promise<number> {
      if (!runner) throw new Error('prepare first');
      return maxLag(runner, new CallSessionsProjection());
    },
    /** Starts catchUp of a projection (call-sessions by default) and returns at once; `progress` tells how far it got. */
    startCatchUp(args?: { projection?: string; only?: number[] }): null {
      if (!runner || !timer) throw new Error('prepare first');
      const make = CATCHUP_PROJECTIONS[args?.projection ?? 'call-sessions'];
      if (!make) throw new Error(`unknown projection ${args?.projection}`);
      const state = { started: performance.now(), events: 0, done: false } as NonNullable<typeof catching>;
      catching = state;
      runner
        .catchUp(make(), (n) => (state.events += n), args?.only)
        .then(
          () => {
            state.done = true;
            state.ended = performance.now();
          },
          (e: unknown) => {
            state.failed = e;
            state.ended = performance.now();
          },
        );
      return null;
    },
    progress(): CatchUpProgress {
      if (!catching || !timer) throw new Error('not catching up');
      if (catching.failed !== undefined) {
        throw catching.failed instanceof Error ? catching.failed : new Error(JSON.stringify(catching.failed));
      }
      const seconds = ((catching.ended ?? performance.now()) - catching.started) / 1000;
      return { events: catching.events, seconds, done: catching.done, times: timer.times };
    },
  },
  async () => {
    await pool?.end();
  },
);

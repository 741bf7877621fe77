import { Pool, PoolClient } from 'pg';
import {
  Checkpoint,
  EventStore,
  ReadPage,
  START_CHECKPOINT,
  StoredEvent,
  inIndexOrder,
  markNonAppending,
  partitionBytes,
} from '@app/event-store';
import { withTransaction } from '@app/platform';
import { BatchInfo, Projection } from './projection';

export interface RunnerOptions {
  /** Tenant partitions; each is a unit of work that one worker at a time advances. */
  partitions: number;
  /** Events per transaction. */
  batchSize: number;
  /**
   * Partitions `catchUp` advances at once, each in a transaction (and on a pool connection) of
   * its own; default 1. Folding a batch in JavaScript and PostgreSQL applying another then
   * overlap, where a single sequential runner leaves one side idle while the other works.
   */
  catchUpConcurrency?: number;
}

/** What one run of a partition did. */
export interface RunOutcome {
  /** `busy`: another runner holds the partition; `caught-up`: nothing left; `more`: budget spent. */
  status: 'busy' | 'caught-up' | 'more';
  events: number;
  batches: number;
}

/** What one shared batch did for one projection (see applyTogether). */
export interface SharedBatchOutcome {
  projection: Projection;
  /** Events applied; 0 when caught up; `busy` when another runner holds the projection's partition. */
  events: number | 'busy';
  /** Why its batch was rolled back (the others' still committed). */
  error?: Error;
  /** Seconds spent applying the batch and moving the checkpoint (0 when busy). */
  seconds: number;
  /** Seconds spent reading the page from the store, when this projection's read was the one made. */
  readSeconds: number;
}

/** How far a projection partition is behind the store. */
export interface PartitionLag {
  partition: number;
  checkpoint: Checkpoint;
  /** Highest stored position minus the checkpoint's (an upper bound: positions span all partitions). */
  positions: number;
  /** Age of the oldest event not yet applied; 0 when caught up. */
  seconds: number;
}

const LOCK_CLASS = 0x70726f6a; // "proj"

/** Whether an event lies after a checkpoint in the store's (transaction id, position) order. */
function isAfter(event: Checkpoint, checkpoint: Checkpoint): boolean {
  const tx = BigInt(event.txId) - BigInt(checkpoint.txId);
  return tx > 0n || (tx === 0n && BigInt(event.position) > BigInt(checkpoint.position));
}

/**
 * Advances projections partition by partition: read a batch after the checkpoint (gap-safe),
 * apply it, move the checkpoint with compare-and-set, commit — all in one transaction, under a
 * transaction-scoped advisory lock so two workers never work on the same partition at once.
 */
export class ProjectionRunner {
  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    readonly options: RunnerOptions,
  ) {
    const lanes = options.catchUpConcurrency;
    if (lanes !== undefined && !(Number.isInteger(lanes) && lanes >= 1))
      throw new Error(`catchUpConcurrency must be a whole number of at least 1, not ${lanes}`);
  }

  /** The checkpoint name of a projection partition (the partition count is part of it). */
  checkpointName(projection: Pick<Projection, 'name'>, partition: number): string {
    return `${projection.name}:${partition}/${this.options.partitions}`;
  }

  /** Applies batches to one partition until it is caught up or `budgetMs` is spent. */
  async runPartition(projection: Projection, partition: number, budgetMs = 5000): Promise<RunOutcome> {
    const deadline = Date.now() + budgetMs;
    let events = 0;
    let batches = 0;
    for (;;) {
      const applied = await this.applyOneBatch(projection, partition);
      if (applied === 'busy') return { status: batches ? 'more' : 'busy', events, batches };
      if (applied === 0) return { status: 'caught-up', events, batches };
      events += applied;
      batches++;
      if (Date.now() >= deadline) return { status: 'more', events, batches };
    }
  }

  /**
   * Runs every partition (or those of `only`) until none has a visible event left (rebuilds),
   * `catchUpConcurrency` partitions at a time; several processes rebuilding one projection each
   * take a share of the partitions. Events committed but still behind an older open transaction are left
   * for the workers; see isCaughtUp. A failing partition fails the call once the partitions
   * already running have finished their runs (each batch commits or rolls back whole); no lane
   * starts another partition after a failure.
   */
  async catchUp(projection: Projection, onBatch?: (events: number) => void, only?: readonly number[]): Promise<number> {
    const { partitions: count } = this.options;
    if (only?.some((p) => !(Number.isInteger(p) && p >= 0 && p < count)))
      throw new RangeError(`partitions must be whole numbers in [0, ${count}), not ${only.join(', ')}`);
    const chosen = only ? [...new Set(only)] : Array.from({ length: count }, (_, p) => p);
    const partitions = chosen.length;
    const lanes = Math.min(partitions, this.options.catchUpConcurrency ?? 1);
    let total = 0;
    for (;;) {
      let pending = false;
      let progressed = false;
      let next = 0;
      let failing = false;
      // One round: every partition once, for up to 2 s each (so a partition that keeps receiving
      // events cannot hold the others back), each lane taking the next partition not yet run.
      const lane = async () => {
        for (let i = next++; i < partitions && !failing; i = next++) {
          const r = await this.runPartition(projection, chosen[i], 2000).catch((error: unknown) => {
            failing = true;
            throw error;
          });
          total += r.events;
          if (r.events) {
            progressed = true;
            onBatch?.(r.events);
          }
          if (r.status !== 'caught-up') pending = true;
        }
      };
      const settled = await Promise.allSettled(Array.from({ length: lanes }, lane));
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (!pending) return total;
      // Another runner holds a partition: wait for it instead of spinning on empty reads.
      if (!progressed) await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Empties the projection's tables and resets its checkpoints in one transaction (waiting for
   * runners of every partition to finish their batch), so the next runs rebuild it from the store.
   */
  async reset(projection: Projection): Promise<void> {
    await this.inTransaction(async (client) => {
      for (let p = 0; p < this.options.partitions; p++) {
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          LOCK_CLASS,
          this.checkpointName(projection, p),
        ]);
      }
      if (projection.tables.length) await client.query(`TRUNCATE ${projection.tables.map((t) => `"${t}"`).join(', ')}`);
      await client.query(`DELETE FROM projection_checkpoints WHERE name LIKE $1`, [`${projection.name}:%`]);
    });
  }

  /**
   * Lag of every partition of a projection, measured against everything committed — not only
   * what a gap-safe read may see yet (a long transaction elsewhere holds that back).
   */
  async lag(projection: Projection): Promise<PartitionLag[]> {
    return withTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ max: string | null }>('SELECT max(position)::text AS max FROM raw_events');
      const max = BigInt(rows[0].max ?? '0');
      const out: PartitionLag[] = [];
      for (let p = 0; p < this.options.partitions; p++) {
        const checkpoint = await this.store.getCheckpoint(this.checkpointName(projection, p), client);
        // In index order whatever the statistics say (see inIndexOrder): a lagging partition's
        // oldest event is then one index step away, not a sort of its whole backlog.
        const next = await inIndexOrder<{ received_at: Date }>(
          client,
          `SELECT received_at FROM raw_events
           WHERE (tx_id, position) > ($1::xid8, $2::bigint) AND get_byte(uuid_send(tenant_id), 15) = ANY($3::int[])
           ORDER BY tx_id, position LIMIT 1`,
          [checkpoint.txId, checkpoint.position, partitionBytes(p, this.options.partitions)],
        );
        const behind = max - BigInt(checkpoint.position);
        out.push({
          partition: p,
          checkpoint,
          positions: next.length ? Number(behind > 0n ? behind : 1n) : 0,
          seconds: next.length ? Math.max(0, (Date.now() - next[0].received_at.getTime()) / 1000) : 0,
        });
      }
      return out;
    });
  }

  /** True when every committed event is at or below its partition's checkpoint. */
  async isCaughtUp(projection: Projection): Promise<boolean> {
    return (await this.lag(projection)).every((l) => l.positions === 0);
  }

  /**
   * One batch for each of several projections of a partition, in ONE transaction: projections at
   * the same checkpoint (the usual case once they are caught up) share one read of the store, and
   * all of them share the BEGIN, the checkpoint reads and the COMMIT's WAL flush. Each projection
   * applies and moves its checkpoint inside a savepoint, in the order given (so one that `follows`
   * another after it sees that one's rows of this very batch): one that fails is rolled back alone
   * and reported with its error, and the others' batches still commit.
   */
  async applyTogether(projections: readonly Projection[], partition: number): Promise<SharedBatchOutcome[]> {
    if (projections.length === 0) return [];
    const names = projections.map((p) => this.checkpointName(p, partition));
    const fields = projections.some((p) => p.wantsPayloads) ? 'payloads' : 'keys';
    // Callbacks of the batches whose savepoint was released, run once the transaction committed.
    const committed: Array<() => void> = [];
    const outcomes = await this.inTransaction(async (client) => {
      const { rows: locks } = await client.query<{ name: string; locked: boolean; now: Date }>(
        `SELECT k.name, pg_try_advisory_xact_lock($1, hashtext(k.name)) AS locked, now() AS now
         FROM unnest($2::text[]) WITH ORDINALITY AS k(name, n) ORDER BY k.n`,
        [LOCK_CLASS, names],
      );
      const now = locks[0].now;
      const locked = new Set(locks.filter((l) => l.locked).map((l) => l.name));
      const { rows: saved } = await client.query<{ name: string; tx_id: string; position: string }>(
        'SELECT name, tx_id::text AS tx_id, position::text FROM projection_checkpoints WHERE name = ANY($1::text[])',
        [[...locked]],
      );
      const checkpoints = new Map<string, Checkpoint>(
        saved.map((r) => [r.name, { txId: r.tx_id, position: r.position }]),
      );
      // One read per distinct checkpoint, made when the first projection at it needs it.
      const reads = new Map<string, Promise<ReadPage>>();
      const read = (c: Checkpoint) => {
        const key = `${c.txId}/${c.position}`;
        let page = reads.get(key);
        if (!page) {
          page = this.store.readPage(c, this.options.batchSize, client, {
            partition: { index: partition, count: this.options.partitions },
            fields,
          });
          reads.set(key, page);
        }
        return page;
      };
      const outcomes: SharedBatchOutcome[] = [];
      for (const [i, projection] of projections.entries()) {
        const name = names[i];
        if (!locked.has(name)) {
          outcomes.push({ projection, events: 'busy', seconds: 0, readSeconds: 0 });
          continue;
        }
        const checkpoint = checkpoints.get(name) ?? { ...START_CHECKPOINT };
        const readStart = performance.now();
        const fresh = !reads.has(`${checkpoint.txId}/${checkpoint.position}`);
        let { events, end } = await read(checkpoint);
        const readSeconds = fresh ? (performance.now() - readStart) / 1000 : 0;
        const start = performance.now();
        const seconds = () => (performance.now() - start) / 1000;
        await client.query('SAVEPOINT projection_batch');
        const mine: Array<() => void> = [];
        try {
          if (projection.follows)
            ({ events, end } = await this.belowFollowed(projection, partition, events, end, client));
          const batch: BatchInfo = {
            partition,
            partitions: this.options.partitions,
            from: checkpoint,
            to: end,
            payloads: fields === 'payloads',
            afterCommit: (fn) => mine.push(fn),
          };
          if (events.length) await projection.apply(client, events, now, batch);
          else if (isAfter(end, checkpoint)) projection.passedQuietly?.(batch);
          // Also with no event of its own: a quiet partition moves on with the store (readPage).
          if (isAfter(end, checkpoint)) await this.store.saveCheckpoint(name, checkpoint, end, client);
          await client.query('RELEASE SAVEPOINT projection_batch');
          committed.push(...mine);
          outcomes.push({ projection, events: events.length, seconds: seconds(), readSeconds });
        } catch (error) {
          await client.query('ROLLBACK TO SAVEPOINT projection_batch');
          outcomes.push({
            projection,
            events: 0,
            error: error instanceof Error ? error : new Error(String(error)),
            seconds: seconds(),
            readSeconds,
          });
        }
      }
      return outcomes;
    });
    for (const fn of committed) fn();
    return outcomes;
  }

  /**
   * Only what the followed projection has committed (its checkpoint moves with its rows), and an
   * end no further than that checkpoint: every event of the partition up to it is in the page.
   */
  private async belowFollowed(
    projection: Projection,
    partition: number,
    events: StoredEvent[],
    end: Checkpoint,
    client: PoolClient,
  ): Promise<ReadPage> {
    const ceiling = await this.store.getCheckpoint(
      this.checkpointName({ name: projection.follows! }, partition),
      client,
    );
    return {
      events: events.filter((e) => !isAfter(e, ceiling)),
      end: isAfter(end, ceiling) ? ceiling : end,
    };
  }

  /** One batch of one projection: a shared round of one (applyTogether), its error rethrown. */
  private async applyOneBatch(projection: Projection, partition: number): Promise<number | 'busy'> {
    const [outcome] = await this.applyTogether([projection], partition);
    if (outcome.error) throw outcome.error;
    return outcome.events;
  }

  /** A transaction that never appends to the store: other readers' gap-safe reads need not wait for it. */
  private inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, async (client) => {
      await markNonAppending(client);
      return fn(client);
    });
  }
}

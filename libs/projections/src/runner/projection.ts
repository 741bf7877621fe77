import { PoolClient } from 'pg';
import { Checkpoint, StoredEvent } from '@app/event-store';

/**
 * A read model fed from the event store. `apply` runs inside the runner's transaction, together
 * with the checkpoint move, so a batch is applied exactly once or not at all. It must be
 * idempotent and order-independent: re-fold what the batch touches from its stored events.
 */
export interface Projection {
  readonly name: string;
  /** Read-model tables emptied by a rebuild. */
  readonly tables: readonly string[];
  /**
   * The projection whose read model this one reads (e.g. call-costs reads call_sessions). The
   * runner then applies only events that one has already applied in the same partition, so a
   * batch always sees the rows of its events; rebuilding that projection rebuilds this one too.
   */
  readonly follows?: string;
  /**
   * The runner's batches carry each event's payload (the store read then returns payloads but
   * not the raw bytes); without it events carry keys only. Several projections at the same
   * checkpoint share one read, which carries payloads when one of them wants them.
   */
  readonly wantsPayloads?: boolean;
  /**
   * Applies one batch: events carry keys only (re-load payloads per affected key) unless the
   * projection `wantsPayloads` and `batch` is given. The runner always gives `batch`; a caller
   * applying events of its own choosing (a test, a repair) passes none.
   */
  apply(client: PoolClient, events: readonly StoredEvent[], now: Date, batch?: BatchInfo): Promise<void>;
  /** The runner moved the checkpoint over a stretch of the store without events of the partition. */
  passedQuietly?(batch: BatchInfo): void;
}

/**
 * Where a runner's batch lies: every event of the partition after `from` up to `to` in the
 * store's order, no other. A projection may keep state between batches in memory (a cache of
 * what it has read) — valid for the next batch only if that one starts at this one's `to`.
 */
export interface BatchInfo {
  partition: number;
  partitions: number;
  from: Checkpoint;
  to: Checkpoint;
  /** The batch's events carry their payloads. */
  payloads: boolean;
  /** Runs `fn` once the batch's transaction has committed; never if the batch is rolled back. */
  afterCommit(fn: () => void): void;
}

/** Nest injection token for the list of registered projections. */
export const PROJECTIONS = Symbol('PROJECTIONS');

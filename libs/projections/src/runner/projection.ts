import { PoolClient } from 'pg';
import { StoredEvent } from '@app/event-store';

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
  /** Applies one batch (events carry keys only: re-load payloads per affected key). */
  apply(client: PoolClient, events: readonly StoredEvent[], now: Date): Promise<void>;
}

/** Nest injection token for the list of registered projections. */
export const PROJECTIONS = Symbol('PROJECTIONS');

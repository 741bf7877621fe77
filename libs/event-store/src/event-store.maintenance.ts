import { Pool } from 'pg';

/** Housekeeping that keeps appends fast and safe: partitions ahead, and dedup claims pruned. */
export class EventStoreMaintenance {
  constructor(private readonly pool: Pool) {}

  /** Creates any missing monthly partitions up to `monthsAhead` after the current month. */
  async ensurePartitions(monthsAhead: number): Promise<number> {
    const { rows } = await this.pool.query<{ created: number }>('SELECT ensure_raw_events_partitions($1) AS created', [
      monthsAhead,
    ]);
    return rows[0].created;
  }

  /**
   * Forgets dedup claims older than `retentionDays` (never fewer than 7), in small batches so
   * appends are not blocked. Returns how many were removed.
   */
  async pruneDedup(retentionDays: number, batchSize = 10000): Promise<number> {
    if (retentionDays < 7) throw new RangeError('dedup retention must be at least 7 days');
    let total = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(
        `DELETE FROM event_dedup WHERE ctid IN (
           SELECT ctid FROM event_dedup WHERE first_seen_at < now() - make_interval(days => $1) LIMIT $2)`,
        [retentionDays, batchSize],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) return total;
    }
  }
}

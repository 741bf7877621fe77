/**
 * Size-capped, least-recently-used map shared by the replay cache, the Basic verification cache and
 * the failure throttle. Every in-memory table in this module is filled by traffic from the network,
 * so each one needs a hard cap that no sender can push past.
 */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();

  /** `onEvict` is told about entries dropped to make room (not about explicit deletes). */
  constructor(
    readonly maxEntries: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
  }

  /** Number of entries currently held. */
  get size(): number {
    return this.entries.size;
  }

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Re-inserting moves the key to the end of Map's insertion order, which is our recency order.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Returns the value without changing its recency. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Stores the value as most recently used, evicting the least recently used entries beyond the cap. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      const evicted = this.entries.get(oldest.value) as V;
      this.entries.delete(oldest.value);
      this.onEvict?.(oldest.value, evicted);
    }
  }

  /** Removes one entry; returns whether it existed. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Removes every entry for which `predicate` is true; returns how many were removed. */
  deleteWhere(predicate: (value: V, key: K) => boolean): number {
    let removed = 0;
    for (const [key, value] of this.entries) {
      // Deleting the current key while iterating a Map is safe: iteration continues with the next one.
      if (predicate(value, key)) {
        this.entries.delete(key);
        removed += 1;
      }
    }
    return removed;
  }
}

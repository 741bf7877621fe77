import { Checkpoint, START_CHECKPOINT } from '@app/event-store';
import type { BatchInfo } from './projection';

const sameCheckpoint = (a: Checkpoint, b: Checkpoint) => a.txId === b.txId && a.position === b.position;

/**
 * What a projection remembers of one partition between the runner's batches: entries by key,
 * least recently touched first. Every entry mirrors stored rows as of `at`.
 */
export class PartitionMemory<V> {
  /** Least recently touched first. */
  readonly entries = new Map<string, V>();
  /** Entries dropped to bound memory while `complete` (a look-up then finds their rows). */
  readonly forgotten = new Set<string>();
  /** Sizes of the entries, as the owner counts them. */
  readonly sizes = new Map<string, number>();
  size = 0;

  constructor(
    public at: Checkpoint,
    /** Began at the start of the store: a key neither listed nor forgotten has no stored rows at all. */
    public complete: boolean,
  ) {}

  /** Whether a key missing from `entries` is known to have no stored rows (no look-up needed). */
  knownAbsent(key: string): boolean {
    return this.complete && !this.forgotten.has(key);
  }
}

/**
 * The memories of one projection instance, one per partition, kept honest by three rules
 * (docs/projections.md, "Memory between batches"):
 * - a memory is valid only for a batch that starts exactly where the remembered one ended — another
 *   worker's batch, a rebuild resetting the checkpoints, a rolled-back batch: any gap drops it;
 * - it changes only once the batch's transaction has committed (BatchInfo.afterCommit);
 * - all partitions together hold at most `budget` (in the owner's unit, see `sizeOf`); past it the
 *   least recently touched entries are forgotten, the committing partition's first.
 */
export class PartitionMemories<V> {
  private readonly slots = new Map<string, PartitionMemory<V>>();
  private total = 0;

  constructor(
    private readonly budget: number,
    private readonly sizeOf: (value: V) => number,
    /** Past this many forgotten keys a partition's memory stops being `complete`. */
    private readonly maxForgotten: number,
  ) {}

  /** The memory valid for `batch` (a new, empty one when the chain of batches was broken). */
  for(batch: BatchInfo): PartitionMemory<V> {
    const slot = `${batch.partition}/${batch.partitions}`;
    let memory = this.slots.get(slot);
    if (!memory || !sameCheckpoint(memory.at, batch.from)) {
      if (memory) this.total -= memory.size;
      memory = new PartitionMemory<V>(batch.from, sameCheckpoint(batch.from, START_CHECKPOINT));
      this.slots.set(slot, memory);
    }
    return memory;
  }

  /**
   * Once `batch` has committed: the entries `changed` gives (called then) replace their remembered
   * selves, and the memory moves to the batch's end. Nothing happens if the batch rolls back or the
   * memory was dropped meanwhile.
   */
  commit(memory: PartitionMemory<V>, batch: BatchInfo, changed: () => Iterable<[string, V]>): void {
    batch.afterCommit(() => {
      if (this.slots.get(`${batch.partition}/${batch.partitions}`) !== memory || !sameCheckpoint(memory.at, batch.from))
        return;
      for (const [k, value] of changed()) {
        const size = this.sizeOf(value);
        const before = memory.sizes.get(k) ?? 0;
        memory.entries.delete(k); // re-inserted last: the map stays in least-recently-touched order
        memory.entries.set(k, value);
        memory.sizes.set(k, size);
        memory.forgotten.delete(k);
        memory.size += size - before;
        this.total += size - before;
      }
      memory.at = batch.to;
      this.forgetBeyondBudget(memory);
    });
  }

  /** The runner passed a stretch of the store without events of the partition: a valid memory moves along. */
  passedQuietly(batch: BatchInfo): void {
    const memory = this.slots.get(`${batch.partition}/${batch.partitions}`);
    if (memory && sameCheckpoint(memory.at, batch.from)) this.commit(memory, batch, () => []);
  }

  /** Events were applied outside the runner, behind every memory's back. */
  clear(): void {
    this.slots.clear();
    this.total = 0;
  }

  private forgetBeyondBudget(current: PartitionMemory<V>): void {
    const slots = [current, ...[...this.slots.values()].filter((m) => m !== current)];
    for (const memory of slots) {
      for (const k of memory.entries.keys()) {
        if (this.total <= this.budget) return;
        const size = memory.sizes.get(k) ?? 0;
        memory.entries.delete(k);
        memory.sizes.delete(k);
        memory.size -= size;
        this.total -= size;
        if (!memory.complete) continue;
        memory.forgotten.add(k);
        if (memory.forgotten.size > this.maxForgotten) {
          memory.complete = false; // every key it does not list is looked up from now on
          memory.forgotten.clear();
        }
      }
    }
  }
}

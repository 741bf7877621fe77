import { START_CHECKPOINT } from '@app/event-store';
import type { BatchInfo } from './projection';
import { PartitionMemories } from './partition-memory';

const at = (position: number) => ({ txId: '10', position: String(position) });

/** A batch of partition `partition` from → to, whose afterCommit callbacks run when `commit()` is called. */
function batch(from: { txId: string; position: string }, to: { txId: string; position: string }, partition = 0) {
  const callbacks: Array<() => void> = [];
  const info: BatchInfo = {
    partition,
    partitions: 2,
    from,
    to,
    payloads: true,
    afterCommit: (fn) => callbacks.push(fn),
  };
  return { info, commit: () => callbacks.forEach((fn) => fn()) };
}

describe('PartitionMemories', () => {
  const sized = (budget: number) => new PartitionMemories<string[]>(budget, (v) => v.length, 10);

  it('keeps a memory only while batches follow each other, and changes it only on commit', () => {
    const memories = sized(100);
    const b1 = batch(START_CHECKPOINT, at(5));
    const m1 = memories.for(b1.info);
    expect(m1.complete).toBe(true);
    expect(m1.knownAbsent('call-a')).toBe(true);
    memories.commit(m1, b1.info, () => [['call-a', ['e1', 'e2']]]);
    expect(m1.entries.size).toBe(0); // not committed yet
    b1.commit();
    expect(m1.entries.get('call-a')).toEqual(['e1', 'e2']);
    expect(m1.at).toEqual(at(5));

    // The next batch starts where that one ended: the same memory.
    const b2 = batch(at(5), at(9));
    expect(memories.for(b2.info)).toBe(m1);
    // A rolled-back batch never commits: the memory stays at 5, valid for the retry.
    memories.commit(m1, b2.info, () => [['call-a', ['e1', 'e2', 'e3']]]);
    expect(memories.for(batch(at(5), at(9)).info)).toBe(m1);
    expect(m1.entries.get('call-a')).toEqual(['e1', 'e2']);

    // A batch starting elsewhere (another worker moved the checkpoint): a new, incomplete memory.
    const other = memories.for(batch(at(12), at(20)).info);
    expect(other).not.toBe(m1);
    expect(other.complete).toBe(false);
    expect(other.knownAbsent('call-a')).toBe(false);
    expect(other.entries.size).toBe(0);
  });

  it('a quiet stretch moves a valid memory along', () => {
    const memories = sized(100);
    const m = memories.for(batch(START_CHECKPOINT, at(5)).info);
    const quiet = batch(START_CHECKPOINT, at(50));
    memories.passedQuietly(quiet.info);
    quiet.commit();
    expect(memories.for(batch(at(50), at(60)).info)).toBe(m);
  });

  it('forgets the least recently touched entries past the budget, the committing partition first', () => {
    const memories = sized(5);
    const p0 = batch(START_CHECKPOINT, at(5), 0);
    const p1 = batch(START_CHECKPOINT, at(6), 1);
    const m0 = memories.for(p0.info);
    const m1 = memories.for(p1.info);
    memories.commit(m1, p1.info, () => [['x', ['1', '2']]]);
    p1.commit();
    memories.commit(m0, p0.info, () => [
      ['a', ['1', '2']],
      ['b', ['1', '2']],
    ]);
    p0.commit();
    // 6 > 5: partition 0's least recently touched entry goes first; partition 1 keeps its own.
    expect([...m0.entries.keys()]).toEqual(['b']);
    expect([...m1.entries.keys()]).toEqual(['x']);
    // A forgotten key is no longer known to be absent: it must be looked up.
    expect(m0.knownAbsent('a')).toBe(false);
    expect(m0.knownAbsent('never-seen')).toBe(true);
  });
});

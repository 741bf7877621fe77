import { AppendResult, NewEvent } from '@app/event-store';
import { GroupCommitter } from './group-commit';

const ev = (key: string): NewEvent =>
  ({ dedupKey: key, sourceId: 's', tenantId: 't', raw: Buffer.from(key) }) as unknown as NewEvent;

/** An in-memory append with the event store's dedup semantics, recording each transaction. */
function fakeAppend(opts: { failWith?: (events: NewEvent[]) => Error | undefined } = {}) {
  const seen = new Set<string>();
  const transactions: string[][] = [];
  const append = async (events: NewEvent[]): Promise<AppendResult> => {
    await new Promise((r) => setTimeout(r, 5));
    const failure = opts.failWith?.(events);
    if (failure) throw failure;
    transactions.push(events.map((e) => e.dedupKey));
    const outcomes = events.map((e) => {
      if (seen.has(e.dedupKey)) return { status: 'duplicate' as const };
      seen.add(e.dedupKey);
      return { status: 'stored' as const, position: String(seen.size) };
    });
    const accepted = outcomes.filter((o) => o.status === 'stored').length;
    return { outcomes, accepted, duplicates: events.length - accepted };
  };
  return { append, transactions };
}

describe('GroupCommitter', () => {
  it('shares one transaction among concurrent requests and gives each its own outcomes', async () => {
    const { append, transactions } = fakeAppend();
    const gc = new GroupCommitter(append, { maxDelayMs: 5, maxInFlight: 1 });
    const results = await Promise.all([gc.submit([ev('a'), ev('b')]), gc.submit([ev('c')]), gc.submit([ev('a')])]);
    expect(transactions).toEqual([['a', 'b', 'c', 'a']]);
    expect(results.map((r) => [r.accepted, r.duplicates])).toEqual([
      [2, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(results[2].outcomes).toEqual([{ status: 'duplicate' }]);
  });

  it('caps a transaction at maxEvents and keeps requests whole', async () => {
    const { append, transactions } = fakeAppend();
    const gc = new GroupCommitter(append, { maxDelayMs: 50, maxEvents: 3, maxInFlight: 1 });
    await Promise.all([gc.submit([ev('1'), ev('2')]), gc.submit([ev('3'), ev('4')]), gc.submit([ev('5')])]);
    expect(transactions).toEqual([
      ['1', '2'],
      ['3', '4', '5'],
    ]);
  });

  it('sends a request larger than maxEvents alone', async () => {
    const { append, transactions } = fakeAppend();
    const gc = new GroupCommitter(append, { maxEvents: 2 });
    await gc.submit([ev('1'), ev('2'), ev('3')]);
    expect(transactions).toEqual([['1', '2', '3']]);
  });

  it('rejects every request of a group whose commit fails for a connection reason', async () => {
    const down = Object.assign(new Error('connection terminated'), { code: '57P01' });
    const { append } = fakeAppend({ failWith: () => down });
    const gc = new GroupCommitter(append, { maxDelayMs: 5 });
    const results = await Promise.allSettled([gc.submit([ev('a')]), gc.submit([ev('b')])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBe(down);
  });

  it('isolates a request whose data makes the shared transaction fail', async () => {
    const bad = Object.assign(new Error('invalid input syntax'), { code: '22P02' });
    const { append, transactions } = fakeAppend({
      failWith: (events) => (events.some((e) => e.dedupKey === 'bad') ? bad : undefined),
    });
    const gc = new GroupCommitter(append, { maxDelayMs: 5, maxInFlight: 1 });
    const results = await Promise.allSettled([gc.submit([ev('ok1')]), gc.submit([ev('bad')]), gc.submit([ev('ok2')])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(transactions.flat().sort()).toEqual(['ok1', 'ok2']);
  });

  it('limits transactions in flight and drains', async () => {
    let concurrent = 0;
    let peak = 0;
    const gc = new GroupCommitter(
      async (events) => {
        concurrent++;
        peak = Math.max(peak, concurrent);
        await new Promise((r) => setTimeout(r, 10));
        concurrent--;
        return {
          outcomes: events.map(() => ({ status: 'stored' as const, position: '1' })),
          accepted: events.length,
          duplicates: 0,
        };
      },
      { maxEvents: 1, maxInFlight: 2 },
    );
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit([ev(String(i))])));
    await gc.drain();
    expect((await all).every((r) => r.accepted === 1)).toBe(true);
    expect(peak).toBe(2);
  });
});

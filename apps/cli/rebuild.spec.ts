import { catchUpInProcesses, rebuildShares } from './rebuild';

describe('rebuildShares', () => {
  const base = { databaseUrl: 'postgres://x', projection: 'call-sessions', partitions: 4, batchSize: 5000 };
  const parts = (processes: number, lanes: number) =>
    rebuildShares(base, processes, lanes).map((s) => ({ only: s.only, lanes: s.lanes }));

  it('deals the partitions round-robin and splits the lanes between the processes', () => {
    expect(parts(2, 4)).toEqual([
      { only: [0, 2], lanes: 2 },
      { only: [1, 3], lanes: 2 },
    ]);
    expect(parts(1, 4)).toEqual([{ only: [0, 1, 2, 3], lanes: 4 }]);
    expect(parts(3, 4)).toEqual([
      { only: [0, 3], lanes: 2 },
      { only: [1], lanes: 1 },
      { only: [2], lanes: 1 },
    ]);
  });

  it('uses at most one process per partition and at least one lane each', () => {
    expect(parts(16, 4)).toEqual([0, 1, 2, 3].map((p) => ({ only: [p], lanes: 1 })));
    expect(parts(2, 1)).toEqual([
      { only: [0, 2], lanes: 1 },
      { only: [1, 3], lanes: 1 },
    ]);
    expect(parts(0, 4)).toEqual([{ only: [0, 1, 2, 3], lanes: 4 }]);
  });

  it('every share carries the rebuild settings', () => {
    for (const s of rebuildShares(base, 2, 4)) expect(s).toMatchObject(base);
  });
});

describe('catchUpInProcesses', () => {
  it('rejects when a process fails, naming its partitions, after stopping the others', async () => {
    const share = {
      databaseUrl: 'postgres://127.0.0.1:1/none',
      projection: 'no-such-projection',
      partitions: 4,
      batchSize: 10,
    };
    const counted: number[] = [];
    await expect(
      catchUpInProcesses(
        [
          { ...share, only: [0, 2], lanes: 1 },
          { ...share, only: [1, 3], lanes: 1 },
        ],
        (n) => counted.push(n),
      ),
    ).rejects.toThrow(/rebuild process for partitions (0, 2|1, 3) of no-such-projection failed \(exit code 1/);
    expect(counted).toEqual([]);
  }, 60000);
});

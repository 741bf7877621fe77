import { UsageError, parseRunOptions, parseVendorWeights, usage } from './options';

describe('simulator command line', () => {
  it('has defaults for everything but the mode', () => {
    const o = parseRunOptions([], {});
    expect(o).toMatchObject({
      mode: 'dry',
      startText: '2026-03-02T00:00',
      world: { seed: 1, tenants: 1, timezone: 'Australia/Sydney', extensions: 40, agents: 24, portsipAuth: 'digest' },
      traffic: { seed: 1, hours: 24, callsPerDay: 4000, vendors: { nexbro: 1, portsip: 1, voipcloud: 1 } },
      faults: { dupRate: 0, reorderRate: 0, lateRate: 0 },
      rate: 500,
      durationSeconds: null,
      concurrency: 64,
      databaseUrl: null,
    });
  });

  it('reads every mode and knob', () => {
    const o = parseRunOptions(
      [
        '--target',
        'http://127.0.0.1:3000',
        '--world',
        'w.json',
        '--rate',
        '2000',
        '--duration',
        '60',
        '--seed',
        '7',
        '--dup-rate',
        '0.05',
        '--reorder-rate',
        '0.1',
        '--late-rate',
        '0.01',
        '--late-minutes',
        '5',
        '--hours',
        '1.5',
        '--vendors',
        'portsip=2,voipcloud',
        '--truth',
        't.json',
      ],
      { DATABASE_URL: 'postgres://x/y' },
    );
    expect(o).toMatchObject({
      mode: 'http',
      target: 'http://127.0.0.1:3000',
      worldFile: 'w.json',
      truthFile: 't.json',
      rate: 2000,
      durationSeconds: 60,
      traffic: { seed: 7, hours: 1.5, vendors: { nexbro: 0, portsip: 2, voipcloud: 1 } },
      faults: { dupRate: 0.05, reorderRate: 0.1, lateRate: 0.01, lateMinutes: 5 },
      databaseUrl: 'postgres://x/y',
    });
    expect(parseRunOptions(['--direct'], {})).toMatchObject({ mode: 'direct' });
    expect(parseRunOptions(['--out', 'o.ndjson'], {})).toMatchObject({ mode: 'out', outFile: 'o.ndjson' });
    expect(parseRunOptions(['--setup', '--world', 'w.json'], {})).toMatchObject({ mode: 'setup' });
    expect(parseRunOptions(['--help'], {})).toBe('help');
    expect(usage()).toContain('--dup-rate');
  });

  it('refuses what cannot work, saying why', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--direct', '--out', 'x'], /choose one mode/],
      [['--target', 'http://h'], /needs --world/],
      [['--setup'], /needs --world/],
      [['--target', 'ftp://h', '--world', 'w'], /http/],
      [['--dup-rate', '1.5'], /between 0 and 1/],
      [['--reorder-rate', '0.7', '--late-rate', '0.5'], /must not exceed 1/],
      [['--hours', '0'], /--hours/],
      [['--start', 'tomorrow'], /--start/],
      [['--portsip-auth', 'bearer'], /digest or basic/],
      [['--vendors', 'asterisk=1'], /unknown vendor/],
      [['--vendors', 'nexbro=0'], /positive weight/],
      [['--frobnicate'], /Unknown option/],
    ];
    for (const [argv, message] of bad) expect(() => parseRunOptions(argv, {})).toThrow(message);
    expect(() => parseVendorWeights('portsip=-1')).toThrow(UsageError);
  });
});

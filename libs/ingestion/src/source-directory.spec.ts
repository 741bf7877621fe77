import { SourceConfig, TenancyService, UnknownSourceError } from '@app/platform';
import { SourceDirectory } from './source-directory';

const ID = '0b7f6c9e-3c1d-4a55-9a0e-2f6d1c0e9a11';

function source(name: string): SourceConfig {
  return {
    id: ID,
    tenantId: 'd7c0a3a4-8f7e-4a0e-b7f1-3f1f1a1a1a1a',
    vendor: 'portsip',
    authMethod: 'none',
    credentials: { method: 'none' },
    timezone: name,
    extensionPattern: '^\\d{3}$',
    queueNumbers: [],
    enabled: true,
    wsi: null,
  };
}

/** A directory of sources whose answers the test releases one lookup at a time. */
class Tenancy {
  lookups = 0;
  private waiting: Array<{ ok: (s: SourceConfig) => void; fail: (e: Error) => void }> = [];
  getActiveSource(): Promise<SourceConfig> {
    this.lookups++;
    return new Promise((ok, fail) => this.waiting.push({ ok, fail }));
  }
  answer(value: SourceConfig | Error): void {
    for (const w of this.waiting.splice(0)) {
      if (value instanceof Error) w.fail(value);
      else w.ok(value);
    }
  }
}

describe('SourceDirectory', () => {
  let now = 1_000_000;
  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  /** A directory that has looked the source up (time zone UTC), its entry now just expired. */
  async function expiredEntry() {
    const tenancy = new Tenancy();
    const dir = new SourceDirectory(tenancy as unknown as TenancyService, 5000);
    const first = dir.get(ID);
    tenancy.answer(source('UTC'));
    await first;
    now += 5001;
    return { tenancy, dir };
  }

  it('looks a source up once however many webhooks wait for it', async () => {
    const tenancy = new Tenancy();
    const dir = new SourceDirectory(tenancy as unknown as TenancyService, 5000);
    const all = Promise.all(Array.from({ length: 50 }, () => dir.get(ID)));
    tenancy.answer(source('UTC'));
    const got = await all;
    expect(tenancy.lookups).toBe(1);
    expect(new Set(got).size).toBe(1);
    expect(got[0].extensionRegex.test('101')).toBe(true);
  });

  it('serves an expired source at once and refreshes it with one background lookup', async () => {
    const { tenancy, dir } = await expiredEntry();
    const stale = await Promise.all(Array.from({ length: 20 }, () => dir.get(ID)));
    expect(stale.every((s) => s.timezone === 'UTC')).toBe(true);
    expect(tenancy.lookups).toBe(2);
    tenancy.answer(source('Europe/London'));
    await new Promise((r) => setImmediate(r));
    expect((await dir.get(ID)).timezone).toBe('Europe/London');
    expect(tenancy.lookups).toBe(2);
  });

  it('stops a source that was disabled once the refresh has seen it, and retries a failed refresh', async () => {
    const { tenancy, dir } = await expiredEntry();
    await dir.get(ID);
    tenancy.answer(new Error('connection refused'));
    await new Promise((r) => setImmediate(r));
    // Still the last known source; the next request looks it up again.
    expect((await dir.get(ID)).timezone).toBe('UTC');
    expect(tenancy.lookups).toBe(3);
    tenancy.answer(new UnknownSourceError(ID));
    await new Promise((r) => setImmediate(r));
    await expect(dir.get(ID)).rejects.toBeInstanceOf(UnknownSourceError);
  });

  it('waits for the lookup of an unknown or new source, and passes a database error on', async () => {
    const tenancy = new Tenancy();
    const dir = new SourceDirectory(tenancy as unknown as TenancyService, 5000);
    const cold = dir.get(ID);
    tenancy.answer(new Error('connection refused'));
    await expect(cold).rejects.toThrow('connection refused');
    const unknown = dir.get(ID);
    tenancy.answer(new UnknownSourceError(ID));
    await expect(unknown).rejects.toBeInstanceOf(UnknownSourceError);
    // Cached as unknown within the TTL; afterwards looked up (and waited for) again.
    await expect(dir.get(ID)).rejects.toBeInstanceOf(UnknownSourceError);
    expect(tenancy.lookups).toBe(2);
    now += 5001;
    const created = dir.get(ID);
    tenancy.answer(source('UTC'));
    expect((await created).timezone).toBe('UTC');
  });
});

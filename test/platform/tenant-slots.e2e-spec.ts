import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { tenantPartition } from '@app/event-store';
import {
  SecretBox,
  ServerSecret,
  TenancyService,
  dataSourceOptions,
  ensureDatabase,
  runMigrations,
} from '@app/platform';
import { SERVER_URL } from '../support/env';

// A database of its own: the shared test database gets tenants from suites running in parallel.
describe('tenant ids spread over projection partitions', () => {
  const url = `${SERVER_URL}/cdr_test_slots_${process.pid}`;
  const name = new URL(url).pathname.slice(1);
  let ds: DataSource;
  let tenancy: TenancyService;

  beforeAll(async () => {
    await ensureDatabase(url);
    await runMigrations(url);
    ds = new DataSource(dataSourceOptions(url, 2));
    await ds.initialize();
    const secret = new ServerSecret(Buffer.from('tenant-slots-test-secret-0123456789-abcdefghij'));
    tenancy = new TenancyService(ds, new SecretBox(secret), 'cdr');
  });

  afterAll(async () => {
    await ds?.destroy();
    const admin = new Client({ connectionString: `${SERVER_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('gives tenants created one after another consecutive last bytes, refilling the emptiest slot', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await tenancy.createTenant({ name: `t${i}`, timezone: 'UTC' })).id);
    expect(ids.map((id) => id.slice(-2))).toEqual(['00', '01', '02', '03', '04', '05', '06', '07']);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Two tenants in each of 4 partitions, one in each of 8.
    const spread = (count: number) => {
      const per = new Array<number>(count).fill(0);
      for (const id of ids) per[tenantPartition(id, count)]++;
      return per;
    };
    expect(spread(4)).toEqual([2, 2, 2, 2]);
    expect(spread(8)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);

    // A deleted tenant's slot is the emptiest again, so the next tenant takes it.
    await ds.query('DELETE FROM tenants WHERE id = $1', [ids[3]]);
    const next = await tenancy.createTenant({ name: 'after', timezone: 'UTC' });
    expect(next.id.slice(-2)).toBe('03');
    expect(next.id).not.toBe(ids[3]);
    const stored = await ds.query('SELECT name FROM tenants WHERE id = $1', [next.id]);
    expect(stored).toEqual([{ name: 'after' }]);
  });
});

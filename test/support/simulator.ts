import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SecretBox, ServerSecret, TenancyService, dataSourceOptions } from '@app/platform';
import { parseRunOptions, runSimulator } from '@app/simulator/runners';

/** Two simulated hours from 09:00 with duplicates (5%) and reordering (10%). */
export const TWO_FAULTY_HOURS = [
  '--start',
  '2026-03-02T09:00',
  '--hours',
  '2',
  '--dup-rate',
  '0.05',
  '--reorder-rate',
  '0.1',
];

/**
 * Runs `npm run simulate -- --direct <args>` in-process against the database at `url` (COPY into
 * the store through `pool`; tenants and sources created with a fixed test secret).
 */
export async function simulateDirect(url: string, pool: Pool, args: readonly string[]): Promise<void> {
  const options = parseRunOptions(['--direct', ...args], {});
  if (options === 'help') throw new Error('unexpected --help');
  await runSimulator(
    { ...options, databaseUrl: url },
    {
      pool,
      tenancy: async () => {
        const ds = new DataSource(dataSourceOptions(url, 2));
        await ds.initialize();
        const secret = new ServerSecret(Buffer.from('simulator-test-secret-simulator-test-0123456789'));
        return { tenancy: new TenancyService(ds, new SecretBox(secret), 'cdr'), close: () => ds.destroy() };
      },
    },
  );
}

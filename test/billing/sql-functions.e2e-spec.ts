import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Pool } from 'pg';
import { billableSeconds, callCost, rerateCarrier } from '@app/billing';
import { withTransaction } from '@app/platform';
import { TEST_DATABASE_URL, testPool } from '../support/env';

/** The SQL that rates calls in bulk must compute exactly what the documented TypeScript functions do. */
let pool: Pool;
beforeAll(() => {
  pool = testPool(TEST_DATABASE_URL);
});
afterAll(() => pool.end());

const decimal = (maxWhole: number, scale: number) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: maxWhole }),
      fc.integer({ min: 0, max: 10 ** scale - 1 }),
      fc.integer({ min: 0, max: scale }),
    )
    .map(([w, f, s]) => (s === 0 ? String(w) : `${w}.${String(f).padStart(scale, '0').slice(0, s)}`));

describe('billing SQL functions', () => {
  it('billing_billable_seconds and billing_cost equal billableSeconds and callCost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            talk: fc.integer({ min: -5, max: 20_000 }),
            first: fc.integer({ min: 1, max: 3600 }),
            next: fc.integer({ min: 1, max: 3600 }),
            rate: decimal(50, 8),
            fee: decimal(5, 8),
          }),
          { minLength: 1, maxLength: 200 },
        ),
        async (cases) => {
          const { rows } = await pool.query<{ billable: number; cost: string }>(
            `SELECT billing_billable_seconds(t, f, n) AS billable,
                    billing_cost(billing_billable_seconds(t, f, n), r, e)::text AS cost
             FROM unnest($1::int[], $2::int[], $3::int[], $4::numeric[], $5::numeric[]) WITH ORDINALITY AS u(t, f, n, r, e, i)
             ORDER BY i`,
            [
              cases.map((c) => c.talk),
              cases.map((c) => c.first),
              cases.map((c) => c.next),
              cases.map((c) => c.rate),
              cases.map((c) => c.fee),
            ],
          );
          cases.forEach((c, i) => {
            const billable = billableSeconds(c.talk, { first: c.first, next: c.next });
            expect(rows[i].billable).toBe(billable);
            expect(rows[i].cost).toBe(callCost(billable, c.rate, c.fee));
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rounds half up at the fourth place, in SQL as in TypeScript', async () => {
    const { rows } = await pool.query(
      `SELECT billing_cost(30, 0.0005, 0)::text AS a, billing_cost(18, 0.0005, 0)::text AS b, billing_cost(17, 0.0005, 0)::text AS c`,
    );
    expect(rows[0]).toEqual({ a: '0.0003', b: '0.0002', c: '0.0001' });
  });

  it('billing_prefixes lists every prefix of a number', async () => {
    const { rows } = await pool.query(
      `SELECT billing_prefixes('6141') AS p, billing_prefixes('') AS e, billing_prefixes(NULL) AS n`,
    );
    expect(rows[0]).toEqual({ p: ['6', '61', '614', '6141'], e: [], n: [] });
  });

  it('set-based rating picks the rate a per-call longest-prefix lookup (billing_best_rate) picks', async () => {
    const DATES = ['-infinity', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z'];
    const digits = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom('6', '1', '4'), minLength: min, maxLength: max });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ prefix: digits(1, 5), from: fc.constantFrom(...DATES), rate: decimal(1, 4) }), {
          selector: (r) => `${r.prefix}@${r.from}`,
          maxLength: 40,
        }),
        fc.array(fc.record({ to: digits(6, 9), day: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 40 }),
        async (rates, calls) => {
          const tenantId = randomUUID();
          await withTransaction(pool, async (c) => {
            for (const r of rates)
              await c.query(
                `INSERT INTO rates (tenant_id, carrier, prefix, effective_from, rate_per_minute, first_increment, next_increment, import_id)
                 VALUES ($1, 'p', $2, $3, $4, 1, 1, $1)`,
                [tenantId, r.prefix, r.from, r.rate],
              );
            for (const call of calls)
              await c.query(
                `INSERT INTO call_costs (tenant_id, call_id, source_id, carrier, started_at, vendor_call_id, to_number, talk_seconds)
                 VALUES ($1, $2, $1, 'p', $3, 'x', $4, 60)`,
                [tenantId, randomUUID(), new Date(Date.UTC(2026, 1, 28 + call.day, 12)), call.to],
              );
            await rerateCarrier(c, tenantId, 'p', null);
          });
          const { rows } = await pool.query(
            `SELECT cc.rate_prefix, cc.rate_effective_from, b.prefix, b.effective_from,
                    cc.cost::text AS cost, billing_cost(60, b.rate_per_minute, b.connect_fee)::text AS expected
             FROM call_costs cc LEFT JOIN LATERAL billing_best_rate(cc.tenant_id, cc.carrier, cc.to_number, cc.started_at) b ON true
             WHERE cc.tenant_id = $1`,
            [tenantId],
          );
          for (const r of rows) {
            expect([r.rate_prefix, r.rate_effective_from, r.cost]).toEqual([r.prefix, r.effective_from, r.expected]);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

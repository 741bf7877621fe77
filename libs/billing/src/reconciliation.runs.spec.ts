import { BillingInputError } from './billing.errors';
import { validRunRequest } from './reconciliation.runs';

const tenantId = '0b9a7a1e-6c1f-4bde-9a55-7cfa0f6c2f11';
const fail = (input: Record<string, unknown>): [string, string] => {
  try {
    validRunRequest({ tenantId, carrier: 'telstra', from: '2026-03-01', to: '2026-04-01', ...input });
  } catch (e) {
    expect(e).toBeInstanceOf(BillingInputError);
    return [(e as BillingInputError).field, (e as Error).message];
  }
  throw new Error('accepted');
};

describe('validRunRequest', () => {
  it('applies the METRICS.md defaults and trims the carrier', () => {
    expect(
      validRunRequest({
        tenantId,
        carrier: ' telstra ',
        from: '2026-03-01T00:00:00+11:00',
        to: new Date('2026-04-01T00:00:00Z'),
      }),
    ).toEqual({
      tenantId,
      carrier: 'telstra',
      from: new Date('2026-02-28T13:00:00Z'),
      to: new Date('2026-04-01T00:00:00Z'),
      matchToleranceSeconds: 5,
      durationToleranceSeconds: 1,
      costTolerance: '0.001',
    });
    expect(
      validRunRequest({
        tenantId,
        carrier: 'x',
        from: '2026-03-01',
        to: '2026-03-02',
        matchToleranceSeconds: '30',
        durationToleranceSeconds: 0,
        costTolerance: '0.01',
      }),
    ).toMatchObject({ matchToleranceSeconds: 30, durationToleranceSeconds: 0, costTolerance: '0.01' });
  });

  it('names the field of every bad input', () => {
    expect(fail({ carrier: '' })).toEqual(['carrier', 'carrier must be a carrier name of 1 to 100 characters']);
    expect(fail({ from: 'yesterday' })[0]).toBe('from');
    expect(fail({ from: '2026-04-01', to: '2026-03-01' })).toEqual(['to', 'from must be before to']);
    expect(fail({ to: '2027-03-03' })).toEqual(['to', 'a reconciliation period spans at most 366 days']);
    expect(fail({ matchToleranceSeconds: 3601 })[0]).toBe('matchToleranceSeconds');
    expect(fail({ durationToleranceSeconds: 1.5 })[0]).toBe('durationToleranceSeconds');
    expect(fail({ costTolerance: '-1' })[0]).toBe('costTolerance');
    expect(() => validRunRequest({ tenantId: 'nope', carrier: 'x', from: '2026-03-01', to: '2026-03-02' })).toThrow(
      'tenant must be a tenant id (UUID)',
    );
  });
});

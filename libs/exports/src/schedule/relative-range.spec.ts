import { relativePeriod } from './relative-range';

const iso = (p: { from: Date; to: Date }) => [p.from.toISOString(), p.to.toISOString()];
const hours = (p: { from: Date; to: Date }) => (p.to.getTime() - p.from.getTime()) / 3_600_000;

describe('relativePeriod', () => {
  it('PREVIOUS_DAY in Europe/London over the October DST change is 25 hours', () => {
    const p = relativePeriod('PREVIOUS_DAY', new Date('2026-10-26T02:00:00Z'), 'Europe/London');
    expect(iso(p)).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
    expect(hours(p)).toBe(25);
  });

  it('PREVIOUS_DAY over the March change is 23 hours, and the day is the one before the slot', () => {
    const p = relativePeriod('PREVIOUS_DAY', new Date('2026-03-30T01:00:00Z'), 'Europe/London');
    expect(iso(p)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z']);
    expect(hours(p)).toBe(23);
  });

  it('uses the wall clock of the zone (+05:45, -05:00)', () => {
    expect(iso(relativePeriod('PREVIOUS_DAY', new Date('2026-03-02T00:00:00Z'), 'Asia/Kathmandu'))).toEqual([
      '2026-02-28T18:15:00.000Z',
      '2026-03-01T18:15:00.000Z',
    ]);
    expect(iso(relativePeriod('PREVIOUS_HOUR', new Date('2026-03-02T10:20:00Z'), 'Asia/Kathmandu'))).toEqual([
      '2026-03-02T09:15:00.000Z',
      '2026-03-02T10:15:00.000Z',
    ]);
    expect(iso(relativePeriod('PREVIOUS_DAY', new Date('2026-03-02T12:00:00Z'), 'America/New_York'))).toEqual([
      '2026-03-01T05:00:00.000Z',
      '2026-03-02T05:00:00.000Z',
    ]);
  });

  it('PREVIOUS_HOUR in the repeated hour of an autumn night is the first 01:00 hour', () => {
    const p = relativePeriod('PREVIOUS_HOUR', new Date('2026-10-25T01:30:00Z'), 'Europe/London');
    expect(iso(p)).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z']);
  });

  it('PREVIOUS_WEEK runs Monday to Monday; PREVIOUS_MONTH is the calendar month', () => {
    // Wednesday 2026-03-04 in Sydney (+11:00).
    const at = new Date('2026-03-04T03:00:00Z');
    expect(iso(relativePeriod('PREVIOUS_WEEK', at, 'Australia/Sydney'))).toEqual([
      '2026-02-22T13:00:00.000Z',
      '2026-03-01T13:00:00.000Z',
    ]);
    expect(iso(relativePeriod('PREVIOUS_MONTH', at, 'Australia/Sydney'))).toEqual([
      '2026-01-31T13:00:00.000Z',
      '2026-02-28T13:00:00.000Z',
    ]);
  });
});

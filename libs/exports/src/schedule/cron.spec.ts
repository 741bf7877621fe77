import { ReportInputError } from '@app/reporting';
import { latestSlot, validCron } from './cron';

const NOW = new Date('2026-03-02T09:00:00Z');

function cronError(expression: unknown, zone = 'UTC', min = 60): string {
  try {
    validCron(expression, zone, min, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportInputError);
    expect((error as ReportInputError).field).toBe('cron');
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('validCron', () => {
  it('accepts 5 fields, 6 with seconds, and the usual aliases', () => {
    expect(validCron(' 0  2 * * * ', 'Europe/London', 60, NOW)).toBe('0 2 * * *');
    expect(validCron('30 0 2 * * 1-5', 'UTC', 60, NOW)).toBe('30 0 2 * * 1-5');
    expect(validCron('@daily', 'UTC', 60, NOW)).toBe('@daily');
    expect(validCron('* * * * * *', 'UTC', 1, NOW)).toBe('* * * * * *');
  });

  it('says what is wrong', () => {
    expect(cronError('* * * *')).toBe(
      'cron "* * * *" must have 5 fields (minute hour day month weekday), or 6 with leading seconds',
    );
    expect(cronError('61 * * * *')).toMatch(/^cron "61 \* \* \* \*" is not valid: /);
    expect(cronError('0 0 30 2 *')).toMatch(/^cron "0 0 30 2 \*" is not valid/);
    expect(cronError('')).toBe('cron "" is not a cron expression (e.g. "0 2 * * *": every day at 02:00)');
    expect(cronError(42)).toMatch(/is not a cron expression/);
    expect(cronError('*/30 * * * * *')).toBe('cron "*/30 * * * * *" fires more often than every 60 seconds');
    expect(cronError('0,1 0 * * *', 'UTC', 300)).toBe('cron "0,1 0 * * *" fires more often than every 300 seconds');
  });
});

describe('latestSlot', () => {
  it('is the last time at or before an instant, in the zone', () => {
    expect(latestSlot('0 2 * * *', 'Europe/London', new Date('2026-10-26T02:00:00Z'))).toEqual(
      new Date('2026-10-26T02:00:00Z'),
    );
    expect(latestSlot('0 2 * * *', 'Europe/London', new Date('2026-10-29T12:00:00Z'))).toEqual(
      new Date('2026-10-29T02:00:00Z'),
    );
    expect(latestSlot('0 2 * * *', 'Europe/London', new Date('2026-07-01T12:00:00Z'))).toEqual(
      new Date('2026-07-01T01:00:00Z'),
    );
  });
});

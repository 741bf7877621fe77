import { CronExpressionParser } from 'cron-parser';
import { ReportInputError, validZone } from '@app/reporting';

const ALIASES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);
/** Slots looked at to find a schedule's shortest period. */
const PROBE = 200;

/**
 * Checks a schedule's cron expression as BullMQ will run it (cron-parser, in `zone`): five fields
 * (minute hour day-of-month month day-of-week), six with leading seconds, or @hourly, @daily,
 * @weekly, @monthly, @yearly; it must fire, and never twice within `minIntervalSeconds`.
 * Returns the expression trimmed, or throws ReportInputError('cron').
 */
export function validCron(expression: unknown, zone: string, minIntervalSeconds: number, now = new Date()): string {
  const fail = (why: string): never => {
    throw new ReportInputError('cron', `cron "${String(expression)}" ${why}`);
  };
  if (typeof expression !== 'string' || expression.trim().length === 0 || expression.length > 200)
    return fail('is not a cron expression (e.g. "0 2 * * *": every day at 02:00)');
  const text = expression.trim().replace(/\s+/g, ' ');
  const fields = text.split(' ').length;
  if (!(ALIASES.has(text) || (!text.startsWith('@') && (fields === 5 || fields === 6))))
    return fail('must have 5 fields (minute hour day month weekday), or 6 with leading seconds');
  let times: number[];
  try {
    const cron = CronExpressionParser.parse(text, { tz: validZone(zone), currentDate: now, strict: false });
    times = [];
    for (let i = 0; i < PROBE && cron.hasNext(); i++) times.push(cron.next().getTime());
  } catch (error) {
    if (error instanceof ReportInputError) throw error;
    return fail(`is not valid: ${(error as Error).message}`);
  }
  if (times.length === 0) return fail('never fires');
  for (let i = 1; i < times.length; i++) {
    if (times[i] - times[i - 1] < minIntervalSeconds * 1000)
      fail(`fires more often than every ${minIntervalSeconds} seconds`);
  }
  return text;
}

/** The latest time of a schedule at or before `at` (null when there is none before it). */
export function latestSlot(expression: string, zone: string, at: Date): Date | null {
  const cron = CronExpressionParser.parse(expression, { tz: zone, currentDate: new Date(at.getTime() + 1) });
  try {
    return cron.hasPrev() ? cron.prev().toDate() : null;
  } catch {
    return null;
  }
}

import { Logger } from 'pino';

/** Logs at most one line per `everyMs` for a recurring condition (e.g. a queue backend outage). */
export function rateLimitedWarn(logger: Logger, message: string, everyMs = 10_000): (err: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (err: unknown) => {
    const now = Date.now();
    if (now - last < everyMs) {
      suppressed++;
      return;
    }
    logger.warn({ err, suppressed }, message);
    last = now;
    suppressed = 0;
  };
}

import { Logger } from 'pino';

/**
 * The part of an error worth a log line: drivers attach whole connection objects to their errors
 * (a PostgreSQL error here carries its client), which would turn one warning into kilobytes.
 */
export function briefError(err: unknown): { name: string; message: string; code?: string } {
  if (!(err instanceof Error)) return { name: typeof err, message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

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
    // Not under `err`: pino's error serializer would rebuild it from the object.
    logger.warn({ error: briefError(err), suppressed }, message);
    last = now;
    suppressed = 0;
  };
}

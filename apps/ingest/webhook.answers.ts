import { Logger } from 'pino';
import {
  AuthenticationFailedError,
  MalformedDeliveryError,
  StorageUnavailableError,
  TooManyFailuresError,
} from '@app/ingestion';
import { UnknownSourceError } from '@app/platform';

/** An HTTP answer to a webhook. */
export interface WebhookAnswer {
  status: number;
  /** A header given as a list is sent as one line per value (several WWW-Authenticate challenges). */
  headers: Record<string, string | string[]>;
  body: Record<string, unknown>;
}

/** Maps ingestion's domain errors to the HTTP answers of CONTRACT.md (anything unexpected: 500, logged). */
export function webhookErrorAnswer(error: unknown, logger: Logger): WebhookAnswer {
  if (error instanceof UnknownSourceError)
    return { status: 404, headers: {}, body: { error: 'unknown or disabled source' } };
  if (error instanceof AuthenticationFailedError) {
    return {
      status: 401,
      headers: error.challenge.length ? { 'WWW-Authenticate': error.challenge } : {},
      body: { error: 'authentication required', reason: error.reason },
    };
  }
  if (error instanceof TooManyFailuresError) {
    return {
      status: 429,
      headers: { 'Retry-After': String(error.retryAfterSeconds) },
      body: { error: 'too many failed authentications', retryAfterSeconds: error.retryAfterSeconds },
    };
  }
  if (error instanceof MalformedDeliveryError) {
    return { status: 400, headers: {}, body: { error: 'malformed delivery', reason: error.reason } };
  }
  if (error instanceof StorageUnavailableError) {
    return {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: 'storage unavailable; nothing was stored, please retry' },
    };
  }
  const status = (error as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, headers: {}, body: { error: (error as Error).message } };
  }
  logger.error({ err: error }, 'webhook failed');
  return { status: 500, headers: {}, body: { error: 'internal error' } };
}

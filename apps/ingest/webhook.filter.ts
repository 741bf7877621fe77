import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { Logger } from 'pino';
import {
  AuthenticationFailedError,
  MalformedDeliveryError,
  StorageUnavailableError,
  TooManyFailuresError,
} from '@app/ingestion';
import { LOGGER, Metrics, UnknownSourceError } from '@app/platform';

/** Maps ingestion's domain errors to the HTTP answers of CONTRACT.md. */
@Catch()
export class WebhookExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, body] = this.answer(error, reply);
    this.metrics.webhookRequests.inc({ status: String(status) });
    void reply.status(status).send(body);
  }

  private answer(error: unknown, reply: FastifyReply): [number, Record<string, unknown>] {
    if (error instanceof UnknownSourceError) return [404, { error: 'unknown or disabled source' }];
    if (error instanceof AuthenticationFailedError) {
      if (error.challenge.length) void reply.header('WWW-Authenticate', error.challenge);
      return [401, { error: 'authentication required', reason: error.reason }];
    }
    if (error instanceof TooManyFailuresError) {
      void reply.header('Retry-After', String(error.retryAfterSeconds));
      return [429, { error: 'too many failed authentications', retryAfterSeconds: error.retryAfterSeconds }];
    }
    if (error instanceof MalformedDeliveryError) return [400, { error: 'malformed delivery', reason: error.reason }];
    if (error instanceof StorageUnavailableError) {
      void reply.header('Retry-After', '5');
      return [503, { error: 'storage unavailable; nothing was stored, please retry' }];
    }
    const status = (error as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return [status, { error: (error as Error).message }];
    }
    this.logger.error({ err: error }, 'webhook failed');
    return [500, { error: 'internal error' }];
  }
}

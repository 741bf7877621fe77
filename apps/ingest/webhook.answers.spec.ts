import {
  AuthenticationFailedError,
  MalformedDeliveryError,
  StorageUnavailableError,
  TooManyFailuresError,
} from '@app/ingestion';
import { UnknownSourceError, createLogger } from '@app/platform';
import { webhookErrorAnswer } from './webhook.answers';

describe('webhookErrorAnswer', () => {
  const logger = createLogger('silent');

  it('maps each domain error to its CONTRACT.md answer', () => {
    expect(webhookErrorAnswer(new UnknownSourceError('s1'), logger)).toEqual({
      status: 404,
      headers: {},
      body: { error: 'unknown or disabled source' },
    });
    expect(
      webhookErrorAnswer(
        new AuthenticationFailedError('bad password', ['Basic realm="x"', 'Digest realm="x"']),
        logger,
      ),
    ).toEqual({
      status: 401,
      headers: { 'WWW-Authenticate': ['Basic realm="x"', 'Digest realm="x"'] },
      body: { error: 'authentication required', reason: 'bad password' },
    });
    expect(webhookErrorAnswer(new AuthenticationFailedError('missing token'), logger).headers).toEqual({});
    expect(webhookErrorAnswer(new TooManyFailuresError(42), logger)).toEqual({
      status: 429,
      headers: { 'Retry-After': '42' },
      body: { error: 'too many failed authentications', retryAfterSeconds: 42 },
    });
    expect(webhookErrorAnswer(new MalformedDeliveryError('body is empty'), logger)).toEqual({
      status: 400,
      headers: {},
      body: { error: 'malformed delivery', reason: 'body is empty' },
    });
    expect(webhookErrorAnswer(new StorageUnavailableError(new Error('ECONNREFUSED')), logger)).toEqual({
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: 'storage unavailable; nothing was stored, please retry' },
    });
  });

  it("keeps a client error's own status and message; anything else is a 500 without details", () => {
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(webhookErrorAnswer(tooLarge, logger)).toEqual({
      status: 413,
      headers: {},
      body: { error: 'Request body is too large' },
    });
    expect(webhookErrorAnswer(new Error('secret connection string in here'), logger)).toEqual({
      status: 500,
      headers: {},
      body: { error: 'internal error' },
    });
    expect(webhookErrorAnswer(Object.assign(new Error('x'), { statusCode: 502 }), logger).status).toBe(500);
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import { briefError, rateLimitedWarn } from './rate-limited-log';

describe('rateLimitedWarn', () => {
  it('writes one short line per period, with what the driver error says and how many were held back', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    let now = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const warn = rateLimitedWarn(pino(sink), 'queue unavailable', 10_000);
    const err = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      client: { connection: { stream: { big: 'x'.repeat(10_000) } } },
    });
    now = 20_000;
    warn(err);
    now = 25_000;
    warn(err);
    warn(err);
    now = 31_000;
    warn(new Error('again'));
    jest.restoreAllMocks();
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(first).toMatchObject({
      msg: 'queue unavailable',
      suppressed: 0,
      error: { name: 'Error', message: 'terminating connection due to administrator command', code: '57P01' },
    });
    expect(lines[0].length).toBeLessThan(400);
    expect(JSON.parse(lines[1])).toMatchObject({ suppressed: 2, error: { message: 'again' } });
    expect(briefError('plain')).toEqual({ name: 'string', message: 'plain' });
  });
});

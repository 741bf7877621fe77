import { DigestAuthenticator, computeHa1 } from '@app/platform/auth';
import { DigestSession, parseDigestChallenges } from './digest-client';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const user = 'portsip-1';
const password = 'pässword "quoted"';
const ha1 = (realm: string) => ({
  md5: computeHa1('MD5', user, realm, password),
  sha256: computeHa1('SHA-256', user, realm, password),
});

describe('DigestSession against the ingest server’s DigestAuthenticator', () => {
  it('answers the SHA-256 challenge and keeps working with rising nonce counts', () => {
    const server = new DigestAuthenticator({ secret: SECRET });
    const session = new DigestSession(user, password);
    expect(session.authorization('POST', '/webhooks/x')).toBeNull();
    const challenges = server.challenge();
    expect(challenges).toHaveLength(2);
    expect(session.accept(challenges)).toBe(true);
    const ctx = { method: 'POST', uri: '/webhooks/x', username: user, ha1: ha1(server.realm) };
    for (let i = 0; i < 5; i++) {
      const header = session.authorization('POST', '/webhooks/x')!;
      expect(header).toContain('algorithm=SHA-256');
      expect(header).toContain(`nc=0000000${i + 1}`);
      expect(server.verify(header, ctx)).toEqual({ ok: true });
      // The same answer twice is a replay.
      if (i === 0) expect(server.verify(header, ctx)).toEqual({ ok: false, reason: 'replay' });
    }
  });

  it('falls back to MD5 when only MD5 is offered, and reads comma-joined headers', () => {
    const server = new DigestAuthenticator({ secret: SECRET, realm: 'pbx realm', challengeAlgorithms: ['MD5'] });
    const session = new DigestSession(user, password);
    expect(session.accept(server.challenge().join(', '))).toBe(true);
    const header = session.authorization('POST', '/w/1')!;
    expect(header).toContain('algorithm=MD5');
    expect(server.verify(header, { method: 'POST', uri: '/w/1', username: user, ha1: ha1('pbx realm') })).toEqual({
      ok: true,
    });
  });

  it('takes a fresh challenge after a stale nonce', () => {
    const server = new DigestAuthenticator({ secret: SECRET, nonceLifetimeSeconds: 1 });
    const session = new DigestSession(user, password);
    const issued = Date.now() - 10_000;
    session.accept(server.challenge({}, issued));
    const ctx = { method: 'POST', uri: '/webhooks/y', username: user, ha1: ha1(server.realm) };
    expect(server.verify(session.authorization('POST', '/webhooks/y')!, ctx)).toEqual({ ok: false, reason: 'stale' });
    const again = server.challenge({ stale: true });
    expect(parseDigestChallenges(again)[0].stale).toBe(true);
    session.accept(again);
    expect(server.verify(session.authorization('POST', '/webhooks/y')!, ctx)).toEqual({ ok: true });
  });

  it('parses challenges with quoted commas and ignores other schemes', () => {
    const parsed = parseDigestChallenges(
      'Basic realm="x", Digest realm="a, b", qop="auth,auth-int", algorithm=SHA-256, nonce="n1", opaque="o", ' +
        'Digest realm="a, b", qop="auth", algorithm=SHA-512-256, nonce="n2"',
    );
    expect(parsed).toEqual([
      { realm: 'a, b', nonce: 'n1', opaque: 'o', qop: ['auth', 'auth-int'], algorithm: 'SHA-256', stale: false },
    ]);
    expect(new DigestSession(user, password).accept('Basic realm="x"')).toBe(false);
  });
});

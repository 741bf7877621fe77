import { createHash } from 'node:crypto';
import { parse as parseAuthHeader } from 'auth-header';
import { computeHa1 } from './credentials';
import { computeDigestResponse, DigestAuthenticator, DigestVerifyContext } from './digest';
import { CredentialConfigurationError } from './errors';

const SECRET = 'test-secret-0123456789abcdef-0123456789';
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const USER = 'pbx-01';
const PASSWORD = 'correct horse battery staple';
const REALM = 'cdr-ingest';
const URI = '/webhooks/8f0c6a52-2f3e-4c1d-9d57-0b1a2c3d4e5f';

function ctx(overrides: Partial<DigestVerifyContext> = {}): DigestVerifyContext {
  return {
    method: 'POST',
    uri: URI,
    username: USER,
    ha1: {
      md5: computeHa1('MD5', USER, REALM, PASSWORD),
      sha256: computeHa1('SHA-256', USER, REALM, PASSWORD),
    },
    ...overrides,
  };
}

/** A challenge value parsed into its parameters, as a client sees it. */
function challengeParams(value: string): Record<string, string> {
  const parsed = parseAuthHeader(value);
  expect(parsed.scheme).toBe('Digest');
  return parsed.params as Record<string, string>;
}

interface ClientOptions {
  username?: string;
  password?: string;
  method?: string;
  uri?: string;
  nc?: string;
  cnonce?: string;
  algorithm?: 'MD5' | 'SHA-256' | null;
  nonce?: string;
  responseNonce?: string;
  extra?: string;
  opaque?: string | null;
}

function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * The client side written out from RFC 7616 §3.4.1 (what curl does), deliberately without the
 * server's helpers: response = H(H(A1):nonce:nc:cnonce:qop:H(A2)), A1 = user:realm:password,
 * A2 = method:uri, H chosen by the challenge's algorithm.
 */
function clientAuthorization(challenge: string, o: ClientOptions = {}): string {
  const c = challengeParams(challenge);
  const algorithm = o.algorithm === undefined ? c.algorithm : o.algorithm;
  const h = (s: string): string =>
    createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5')
      .update(s, 'utf8')
      .digest('hex');
  const username = o.username ?? USER;
  const nonce = o.nonce ?? c.nonce;
  const nc = o.nc ?? '00000001';
  const cnonce = o.cnonce ?? 'MTIzNDU2Nzg5MGFiY2RlZg==';
  const method = o.method ?? 'POST';
  const uri = o.uri ?? URI;
  const ha1 = h(`${username}:${c.realm}:${o.password ?? PASSWORD}`);
  const ha2 = h(`${method}:${uri}`);
  const response = h(`${ha1}:${o.responseNonce ?? nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const parts = [
    `username=${quoted(username)}`,
    `realm=${quoted(c.realm)}`,
    `nonce=${quoted(nonce)}`,
    `uri=${quoted(uri)}`,
    `cnonce=${quoted(cnonce)}`,
    `nc=${nc}`,
    `qop=auth`,
    `response=${quoted(response)}`,
  ];
  const opaque = o.opaque === undefined ? c.opaque : o.opaque;
  if (opaque !== null) parts.push(`opaque=${quoted(opaque)}`);
  if (algorithm !== null) parts.push(`algorithm=${algorithm}`);
  if (o.extra) parts.push(o.extra);
  return `Digest ${parts.join(', ')}`;
}

describe('computeDigestResponse', () => {
  // RFC 7616 §3.9.1: Mufasa / "Circle of Life" / http-auth@example.org, GET /dir/index.html.
  const example = {
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth',
    method: 'GET',
    uri: '/dir/index.html',
  };

  it('reproduces the RFC 7616 MD5 example response', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(computeDigestResponse('MD5', { ...example, ha1 })).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('reproduces the RFC 7616 SHA-256 example response', () => {
    const ha1 = computeHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    expect(computeDigestResponse('SHA-256', { ...example, ha1 })).toBe(
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });
});

describe('DigestAuthenticator.challenge', () => {
  const auth = new DigestAuthenticator({ secret: SECRET });

  it('offers SHA-256 first and MD5 second with one shared nonce and all parameters quoted', () => {
    const values = auth.challenge({}, T0);
    expect(values).toHaveLength(2);
    const pattern = (alg: string): RegExp =>
      new RegExp(
        `^Digest realm="cdr-ingest", qop="auth", algorithm=${alg}, nonce="([A-Za-z0-9_-]{54})", opaque="([A-Za-z0-9_-]{22})"$`,
      );
    const sha = pattern('SHA-256').exec(values[0]);
    const md5 = pattern('MD5').exec(values[1]);
    expect(sha).not.toBeNull();
    expect(md5).not.toBeNull();
    expect(sha?.[1]).toBe(md5?.[1]);
    expect(sha?.[2]).toBe(md5?.[2]);
  });

  it('adds stale=true only when asked', () => {
    const [stale] = auth.challenge({ stale: true }, T0);
    expect(stale).toMatch(/, stale=true$/);
    expect(auth.challenge({}, T0)[0]).not.toContain('stale');
  });

  it('issues a different nonce on every call', () => {
    const a = challengeParams(auth.challenge({}, T0)[0]).nonce;
    const b = challengeParams(auth.challenge({}, T0)[0]).nonce;
    expect(a).not.toBe(b);
  });

  it('can offer MD5 alone for clients that only read the first challenge', () => {
    const md5Only = new DigestAuthenticator({ secret: SECRET, challengeAlgorithms: ['MD5'] });
    const values = md5Only.challenge({}, T0);
    expect(values).toHaveLength(1);
    expect(challengeParams(values[0]).algorithm).toBe('MD5');
  });

  it('quotes a realm containing quotes and backslashes', () => {
    const odd = new DigestAuthenticator({ secret: SECRET, realm: 'a "b" \\c' });
    expect(odd.challenge({}, T0)[0]).toMatch(/^Digest realm="a \\"b\\" \\\\c", /);
  });
});

describe('DigestAuthenticator.verify', () => {
  let auth: DigestAuthenticator;
  let shaChallenge: string;
  let md5Challenge: string;

  beforeEach(() => {
    auth = new DigestAuthenticator({ secret: SECRET });
    [shaChallenge, md5Challenge] = auth.challenge({}, T0) as [string, string];
  });

  it('accepts a SHA-256 response computed as RFC 7616 §3.4.1 describes', () => {
    expect(auth.verify(clientAuthorization(shaChallenge), ctx(), T0 + 1000)).toEqual({ ok: true });
  });

  it('accepts an MD5 response to the second challenge', () => {
    expect(auth.verify(clientAuthorization(md5Challenge), ctx(), T0 + 1000)).toEqual({ ok: true });
  });

  it('treats a missing algorithm parameter as MD5', () => {
    const header = clientAuthorization(md5Challenge, { algorithm: null });
    expect(header).not.toContain('algorithm');
    expect(auth.verify(header, ctx(), T0)).toEqual({ ok: true });
  });

  it('accepts a response without opaque, an upper-case response and upper-case parameter names', () => {
    const header = clientAuthorization(shaChallenge, { opaque: null })
      .replace(/response="([0-9a-f]+)"/, (_m, hex: string) => `RESPONSE="${hex.toUpperCase()}"`)
      .replace('username=', 'UserName=');
    expect(auth.verify(header, ctx(), T0)).toEqual({ ok: true });
  });

  it('accepts userhash=false', () => {
    const header = clientAuthorization(shaChallenge, { extra: 'userhash=false' });
    expect(auth.verify(header, ctx(), T0)).toEqual({ ok: true });
  });

  it('unescapes quoted-pairs in the username', () => {
    const username = 'pbx "main" \\ office';
    const context = ctx({
      username,
      ha1: {
        md5: computeHa1('MD5', username, REALM, PASSWORD),
        sha256: computeHa1('SHA-256', username, REALM, PASSWORD),
      },
    });
    const header = clientAuthorization(shaChallenge, { username });
    expect(header).toContain('username="pbx \\"main\\" \\\\ office"');
    expect(auth.verify(header, context, T0)).toEqual({ ok: true });
  });

  it('compares the uri including its query string', () => {
    const uri = `${URI}?batch=1`;
    expect(auth.verify(clientAuthorization(shaChallenge, { uri }), ctx({ uri }), T0)).toEqual({ ok: true });
  });

  describe('failure reasons', () => {
    it('missing: no header, an empty header, or another scheme', () => {
      expect(auth.verify(undefined, ctx(), T0)).toEqual({ ok: false, reason: 'missing' });
      expect(auth.verify('   ', ctx(), T0)).toEqual({ ok: false, reason: 'missing' });
      expect(auth.verify('Basic cGJ4OnB3', ctx(), T0)).toEqual({ ok: false, reason: 'missing' });
    });

    it.each([
      ['unparseable', 'Digest'],
      ['leading garbage', '=== ==='],
      ['a token68 instead of parameters', 'Digest abcdef'],
    ])('malformed: %s', (_name, header) => {
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
    });

    it.each(['username', 'realm', 'nonce', 'uri', 'response', 'nc', 'cnonce'])(
      'malformed: the %s parameter is absent',
      (param) => {
        const header = clientAuthorization(shaChallenge).replace(new RegExp(`\\b${param}=("[^"]*"|[^,]*)(, )?`), '');
        expect(header).not.toMatch(new RegExp(`[ ,]${param}=`));
        expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
      },
    );

    it('malformed: a repeated parameter, even in another case', () => {
      const header = `${clientAuthorization(shaChallenge)}, NC=00000002`;
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
    });

    it.each(['1', '0000000g', '00000000', '000000001'])('malformed: nc=%s', (nc) => {
      const header = clientAuthorization(shaChallenge, { nc });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('malformed: a response for another realm', () => {
      const other = new DigestAuthenticator({ secret: SECRET, realm: 'elsewhere' });
      const header = clientAuthorization(other.challenge({}, T0)[0]);
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('malformed: an opaque value this server did not issue', () => {
      const header = clientAuthorization(shaChallenge, { opaque: 'not-ours' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('malformed: userhash with a value other than true or false', () => {
      const header = clientAuthorization(shaChallenge, { extra: 'userhash=maybe' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'malformed' });
    });

    it('wrong_user: a correct response for a different username', () => {
      const header = clientAuthorization(shaChallenge, { username: 'intruder' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'wrong_user' });
    });

    it('bad_response: the wrong password', () => {
      const header = clientAuthorization(shaChallenge, { password: 'guess' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'bad_response' });
    });

    it('bad_response: a response signed for another HTTP method', () => {
      const header = clientAuthorization(shaChallenge, { method: 'GET' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'bad_response' });
    });

    it('bad_response: an MD5 response labelled as SHA-256', () => {
      const md5Header = clientAuthorization(shaChallenge, { algorithm: 'MD5' }).replace(
        'algorithm=MD5',
        'algorithm=SHA-256',
      );
      expect(auth.verify(md5Header, ctx(), T0)).toEqual({ ok: false, reason: 'bad_response' });
    });

    it('uri_mismatch: the signed uri is not the request target', () => {
      const header = clientAuthorization(shaChallenge, { uri: '/webhooks/other-source' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'uri_mismatch' });
    });

    it('unsupported: qop=auth-int', () => {
      const header = clientAuthorization(shaChallenge).replace('qop=auth', 'qop=auth-int');
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'unsupported' });
    });

    it('unsupported: the RFC 2069 form without qop', () => {
      const header = clientAuthorization(shaChallenge).replace(', qop=auth', '');
      expect(header).not.toContain('qop');
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'unsupported' });
    });

    it.each(['MD5-sess', 'SHA-256-sess', 'SHA-512-256'])('unsupported: algorithm=%s', (algorithm) => {
      const header = clientAuthorization(shaChallenge).replace('algorithm=SHA-256', `algorithm=${algorithm}`);
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'unsupported' });
    });

    it('unsupported: userhash=true', () => {
      const header = clientAuthorization(shaChallenge, { extra: 'userhash=true' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'unsupported' });
    });

    it('unsupported: only the extended username* form', () => {
      const header = clientAuthorization(shaChallenge).replace(`username="${USER}"`, `username*=UTF-8''${USER}`);
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'unsupported' });
    });
  });

  describe('nonce lifetime', () => {
    it('accepts a nonce until its lifetime ends and calls it stale afterwards', () => {
      const header = clientAuthorization(shaChallenge);
      const fresh = new DigestAuthenticator({ secret: SECRET, nonceLifetimeSeconds: 300 });
      expect(fresh.verify(header, ctx(), T0 + 300_000)).toEqual({ ok: true });
      expect(auth.verify(header, ctx(), T0 + 300_001)).toEqual({ ok: false, reason: 'stale' });
    });

    it('honours a configured lifetime', () => {
      const short = new DigestAuthenticator({ secret: SECRET, nonceLifetimeSeconds: 10 });
      const header = clientAuthorization(short.challenge({}, T0)[0]);
      expect(short.verify(header, ctx(), T0 + 11_000)).toEqual({ ok: false, reason: 'stale' });
    });

    it('answers a wrong password on an expired nonce with bad_response, not stale', () => {
      const header = clientAuthorization(shaChallenge, { password: 'guess' });
      expect(auth.verify(header, ctx(), T0 + 3_600_000)).toEqual({ ok: false, reason: 'bad_response' });
    });

    it('calls a nonce dated far in the future stale', () => {
      const header = clientAuthorization(shaChallenge);
      expect(auth.verify(header, ctx(), T0 - 60_000)).toEqual({ ok: false, reason: 'stale' });
    });
  });

  describe('tampered and foreign nonces', () => {
    function tamper(nonce: string): string {
      // Flip one character in the random part; the MAC no longer matches.
      const i = 20;
      const replacement = nonce[i] === 'A' ? 'B' : 'A';
      return nonce.slice(0, i) + replacement + nonce.slice(i + 1);
    }

    it('rejects a tampered nonce even when the response is computed over it', () => {
      const nonce = challengeParams(shaChallenge).nonce;
      const header = clientAuthorization(shaChallenge, { nonce: tamper(nonce) });
      const result = auth.verify(header, ctx(), T0);
      expect(result).toEqual({ ok: false, reason: 'stale' });
      expect(auth.trackedNonces).toBe(0);
    });

    it('rejects a tampered nonce whose response was computed over the original as bad_response', () => {
      const nonce = challengeParams(shaChallenge).nonce;
      const header = clientAuthorization(shaChallenge, { nonce: tamper(nonce), responseNonce: nonce });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'bad_response' });
    });

    it('rejects a nonce with a forged issue time', () => {
      const nonce = challengeParams(shaChallenge).nonce;
      const bytes = Buffer.from(nonce, 'base64url');
      bytes.writeBigUInt64BE(BigInt(T0 + 3_600_000), 0);
      const header = clientAuthorization(shaChallenge, { nonce: bytes.toString('base64url') });
      expect(auth.verify(header, ctx(), T0 + 3_600_000)).toEqual({ ok: false, reason: 'stale' });
    });

    it('rejects nonces signed with another secret', () => {
      const other = new DigestAuthenticator({ secret: `${SECRET}-rotated` });
      const header = clientAuthorization(other.challenge({}, T0)[0]);
      expect(other.verify(header, ctx(), T0)).toEqual({ ok: true });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'stale' });
    });

    it('rejects the RFC example nonce, which was never issued here', () => {
      const header = clientAuthorization(shaChallenge, { nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v' });
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: false, reason: 'stale' });
    });

    it('lets every process that shares the secret validate the nonce', () => {
      const sibling = new DigestAuthenticator({ secret: SECRET });
      expect(sibling.verify(clientAuthorization(shaChallenge), ctx(), T0)).toEqual({ ok: true });
    });
  });

  describe('replay protection', () => {
    it('refuses the same (nonce, nc) twice', () => {
      const header = clientAuthorization(shaChallenge);
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: true });
      expect(auth.verify(header, ctx(), T0 + 10)).toEqual({ ok: false, reason: 'replay' });
    });

    it('accepts an increasing nc on one nonce and refuses a lower one', () => {
      expect(auth.verify(clientAuthorization(shaChallenge, { nc: '00000001' }), ctx(), T0)).toEqual({ ok: true });
      expect(auth.verify(clientAuthorization(shaChallenge, { nc: '00000003' }), ctx(), T0)).toEqual({ ok: true });
      expect(auth.verify(clientAuthorization(shaChallenge, { nc: '00000002' }), ctx(), T0)).toEqual({
        ok: false,
        reason: 'replay',
      });
      expect(auth.verify(clientAuthorization(shaChallenge, { nc: '0000000A' }), ctx(), T0)).toEqual({ ok: true });
      expect(auth.trackedNonces).toBe(1);
    });

    it('does not record failed attempts, so they cannot burn a nonce', () => {
      expect(auth.verify(clientAuthorization(shaChallenge, { password: 'guess' }), ctx(), T0)).toEqual({
        ok: false,
        reason: 'bad_response',
      });
      expect(auth.trackedNonces).toBe(0);
      expect(auth.verify(clientAuthorization(shaChallenge), ctx(), T0)).toEqual({ ok: true });
    });

    it('keeps at most replayCacheSize nonces and refuses an evicted one as stale', () => {
      const small = new DigestAuthenticator({ secret: SECRET, replayCacheSize: 2 });
      const headers = [0, 1, 2].map((i) => clientAuthorization(small.challenge({}, T0 + i)[0]));
      headers.forEach((header, i) => expect(small.verify(header, ctx(), T0 + 10 + i)).toEqual({ ok: true }));
      expect(small.trackedNonces).toBe(2);
      // The first nonce's history was evicted; accepting it again would allow a replay.
      expect(small.verify(headers[0], ctx(), T0 + 20)).toEqual({ ok: false, reason: 'stale' });
      expect(small.verify(headers[2], ctx(), T0 + 20)).toEqual({ ok: false, reason: 'replay' });
    });

    it('forgets the histories of expired nonces', () => {
      const header = clientAuthorization(shaChallenge);
      expect(auth.verify(header, ctx(), T0)).toEqual({ ok: true });
      expect(auth.trackedNonces).toBe(1);
      const later = clientAuthorization(auth.challenge({}, T0 + 400_000)[0]);
      expect(auth.verify(later, ctx(), T0 + 400_000)).toEqual({ ok: true });
      expect(auth.trackedNonces).toBe(1);
    });
  });

  it('throws on stored HA1 values that are not hex digests', () => {
    const header = clientAuthorization(shaChallenge);
    expect(() => auth.verify(header, ctx({ ha1: { md5: 'x', sha256: 'y' } }), T0)).toThrow(
      CredentialConfigurationError,
    );
  });
});

describe('DigestAuthenticator options', () => {
  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => new DigestAuthenticator({ secret: 'short' })).toThrow(CredentialConfigurationError);
  });

  it('refuses a non-positive nonce lifetime', () => {
    expect(() => new DigestAuthenticator({ secret: SECRET, nonceLifetimeSeconds: 0 })).toThrow(
      CredentialConfigurationError,
    );
  });

  it('refuses an empty or repeated algorithm list', () => {
    expect(() => new DigestAuthenticator({ secret: SECRET, challengeAlgorithms: [] })).toThrow(
      CredentialConfigurationError,
    );
    expect(() => new DigestAuthenticator({ secret: SECRET, challengeAlgorithms: ['MD5', 'MD5'] })).toThrow(
      CredentialConfigurationError,
    );
  });

  it('uses cdr-ingest as the default realm', () => {
    expect(new DigestAuthenticator({ secret: SECRET }).realm).toBe('cdr-ingest');
  });
});

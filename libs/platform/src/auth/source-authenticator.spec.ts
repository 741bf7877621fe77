import { createHash } from 'node:crypto';
import { parse as parseAuthHeader } from 'auth-header';
import * as credentials from './credentials';
import { hashSourceSecret, StoredCredentials } from './credentials';
import { CredentialConfigurationError } from './errors';
import { AuthFailureReason, countsAsFailure, SourceAuthenticator, WebhookRequest } from './source-authenticator';

const SECRET = 'source-authenticator-test-secret-0123456789';
const URL = '/webhooks/5b1f0e1c-0f57-4c55-9f4e-2d1d7c0b9a11';
const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };

function request(headers: WebhookRequest['headers'] = {}, url = URL): WebhookRequest {
  return { method: 'POST', url, headers };
}

function basicHeader(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}

/** RFC 7616 §3.4.1 client, independent of the server code. */
function digestHeader(challenge: string, user: string, pass: string, nc = '00000001', uri = URL): string {
  const { params } = parseAuthHeader(challenge) as { params: Record<string, string> };
  const algo = params.algorithm === 'SHA-256' ? 'sha256' : 'md5';
  const h = (s: string): string => createHash(algo).update(s, 'utf8').digest('hex');
  const cnonce = 'Y25vbmNlLWZvci10ZXN0';
  const response = h(
    `${h(`${user}:${params.realm}:${pass}`)}:${params.nonce}:${nc}:${cnonce}:auth:${h(`POST:${uri}`)}`,
  );
  return (
    `Digest username="${user}", realm="${params.realm}", nonce="${params.nonce}", uri="${uri}", ` +
    `cnonce="${cnonce}", nc=${nc}, qop=auth, response="${response}", opaque="${params.opaque}", ` +
    `algorithm=${params.algorithm}`
  );
}

describe('SourceAuthenticator', () => {
  let now: number;
  let auth: SourceAuthenticator;

  beforeEach(() => {
    now = Date.UTC(2025, 5, 1, 8, 0, 0);
    auth = new SourceAuthenticator({ secret: SECRET, clock: () => now });
  });

  afterEach(() => jest.restoreAllMocks());

  describe('none', () => {
    it('accepts any request, with or without credentials', async () => {
      await expect(auth.authenticate('none', null, request())).resolves.toEqual({ ok: true });
      await expect(
        auth.authenticate('none', { method: 'none' }, request({ authorization: 'Bearer whatever' })),
      ).resolves.toEqual({ ok: true });
    });
  });

  describe('basic', () => {
    const stored = hashSourceSecret('basic', { username: 'portsip', password: 'Pa55:wörd' }, undefined, FAST);
    const challenge = ['Basic realm="cdr-ingest", charset="UTF-8"'];

    it('accepts the right username and password, including a colon and non-ASCII in the password', async () => {
      const req = request({ authorization: basicHeader('portsip', 'Pa55:wörd') });
      await expect(auth.authenticate('basic', stored, req)).resolves.toEqual({ ok: true });
    });

    it('reports missing credentials with the Basic challenge', async () => {
      await expect(auth.authenticate('basic', stored, request())).resolves.toEqual({
        ok: false,
        reason: 'missing',
        challenge,
      });
    });

    it('treats another scheme as missing Basic credentials', async () => {
      const req = request({ authorization: 'Bearer abc' });
      await expect(auth.authenticate('basic', stored, req)).resolves.toEqual({
        ok: false,
        reason: 'missing',
        challenge,
      });
    });

    it('reports a wrong password, a wrong user and garbage', async () => {
      await expect(
        auth.authenticate('basic', stored, request({ authorization: basicHeader('portsip', 'nope') })),
      ).resolves.toEqual({ ok: false, reason: 'bad_credentials', challenge });
      await expect(
        auth.authenticate('basic', stored, request({ authorization: basicHeader('admin', 'Pa55:wörd') })),
      ).resolves.toEqual({ ok: false, reason: 'wrong_user', challenge });
      await expect(
        auth.authenticate('basic', stored, request({ authorization: 'Basic !!notbase64!!' })),
      ).resolves.toEqual({ ok: false, reason: 'malformed', challenge });
    });

    it('treats two Authorization values as malformed', async () => {
      const h = basicHeader('portsip', 'Pa55:wörd');
      await expect(auth.authenticate('basic', stored, request({ authorization: [h, h] }))).resolves.toEqual({
        ok: false,
        reason: 'malformed',
        challenge,
      });
    });

    it('runs scrypt once per cache period for repeated correct credentials', async () => {
      const spy = jest.spyOn(credentials, 'verifyBasicCredentials');
      const req = request({ authorization: basicHeader('portsip', 'Pa55:wörd') });
      await expect(auth.authenticate('basic', stored, req)).resolves.toEqual({ ok: true });
      await expect(auth.authenticate('basic', stored, req)).resolves.toEqual({ ok: true });
      expect(spy).toHaveBeenCalledTimes(1);
      now += 301_000;
      await expect(auth.authenticate('basic', stored, req)).resolves.toEqual({ ok: true });
      expect(spy).toHaveBeenCalledTimes(2);
    });

    it('never caches failures and misses the cache after a password change', async () => {
      const spy = jest.spyOn(credentials, 'verifyBasicCredentials');
      const wrong = request({ authorization: basicHeader('portsip', 'nope') });
      await auth.authenticate('basic', stored, wrong);
      await auth.authenticate('basic', stored, wrong);
      expect(spy).toHaveBeenCalledTimes(2);

      const old = request({ authorization: basicHeader('portsip', 'Pa55:wörd') });
      await expect(auth.authenticate('basic', stored, old)).resolves.toEqual({ ok: true });
      const changed = hashSourceSecret('basic', { username: 'portsip', password: 'new-one' }, undefined, FAST);
      await expect(auth.authenticate('basic', changed, old)).resolves.toEqual({
        ok: false,
        reason: 'bad_credentials',
        challenge,
      });
    });

    it('checks every request when the cache is disabled', async () => {
      const uncached = new SourceAuthenticator({ secret: SECRET, basicCacheSeconds: 0 });
      const spy = jest.spyOn(credentials, 'verifyBasicCredentials');
      const req = request({ authorization: basicHeader('portsip', 'Pa55:wörd') });
      await uncached.authenticate('basic', stored, req);
      await uncached.authenticate('basic', stored, req);
      expect(spy).toHaveBeenCalledTimes(2);
    });
  });

  describe('bearer', () => {
    const stored = hashSourceSecret('bearer', { token: 'eyJhbGciOi.J9-abc_def~+/==' });

    it('accepts the right token, whatever the case of the scheme', async () => {
      await expect(
        auth.authenticate('bearer', stored, request({ authorization: 'Bearer eyJhbGciOi.J9-abc_def~+/==' })),
      ).resolves.toEqual({ ok: true });
      await expect(
        auth.authenticate('bearer', stored, request({ authorization: 'bearer eyJhbGciOi.J9-abc_def~+/==' })),
      ).resolves.toEqual({ ok: true });
    });

    it('distinguishes missing, wrong and malformed tokens', async () => {
      await expect(auth.authenticate('bearer', stored, request())).resolves.toEqual({
        ok: false,
        reason: 'missing',
        challenge: ['Bearer realm="cdr-ingest"'],
      });
      await expect(auth.authenticate('bearer', stored, request({ authorization: 'Bearer other' }))).resolves.toEqual({
        ok: false,
        reason: 'bad_credentials',
        challenge: ['Bearer realm="cdr-ingest", error="invalid_token"'],
      });
      await expect(auth.authenticate('bearer', stored, request({ authorization: 'Bearer a b' }))).resolves.toEqual({
        ok: false,
        reason: 'malformed',
        challenge: ['Bearer realm="cdr-ingest", error="invalid_token"'],
      });
    });

    it('does not accept the token in X-Pbx-Token', async () => {
      const req = request({ 'x-pbx-token': 'eyJhbGciOi.J9-abc_def~+/==' });
      await expect(auth.authenticate('bearer', stored, req)).resolves.toMatchObject({ ok: false, reason: 'missing' });
    });
  });

  describe('token', () => {
    const stored = hashSourceSecret('token', { token: 's3cr3t!token' });

    it('accepts X-Pbx-Token whatever the header-name casing', async () => {
      await expect(auth.authenticate('token', stored, request({ 'x-pbx-token': 's3cr3t!token' }))).resolves.toEqual({
        ok: true,
      });
      await expect(auth.authenticate('token', stored, request({ 'X-Pbx-Token': 's3cr3t!token' }))).resolves.toEqual({
        ok: true,
      });
    });

    it('distinguishes missing, wrong and repeated tokens, without a challenge', async () => {
      await expect(auth.authenticate('token', stored, request())).resolves.toEqual({ ok: false, reason: 'missing' });
      await expect(auth.authenticate('token', stored, request({ 'x-pbx-token': '' }))).resolves.toEqual({
        ok: false,
        reason: 'missing',
      });
      await expect(auth.authenticate('token', stored, request({ 'x-pbx-token': 'guess' }))).resolves.toEqual({
        ok: false,
        reason: 'bad_credentials',
      });
      await expect(
        auth.authenticate('token', stored, request({ 'x-pbx-token': ['s3cr3t!token', 'guess'] })),
      ).resolves.toEqual({ ok: false, reason: 'malformed' });
    });

    it('does not accept the token as a bearer token', async () => {
      const req = request({ authorization: 'Bearer s3cr3t!token' });
      await expect(auth.authenticate('token', stored, req)).resolves.toEqual({ ok: false, reason: 'missing' });
    });
  });

  describe('digest', () => {
    const stored = hashSourceSecret('digest', { username: 'portsip', password: 'Circle of Life' });

    it('challenges a first request without credentials, then accepts the answer (PortSIP / curl flow)', async () => {
      const first = await auth.authenticate('digest', stored, request());
      expect(first.ok).toBe(false);
      if (first.ok) return;
      expect(first.reason).toBe('missing');
      expect(first.challenge).toHaveLength(2);
      expect(first.challenge?.[0]).toMatch(/^Digest realm="cdr-ingest", qop="auth", algorithm=SHA-256, nonce="/);
      expect(first.challenge?.[1]).toMatch(/^Digest realm="cdr-ingest", qop="auth", algorithm=MD5, nonce="/);

      // Both challenges share one nonce, so the second answer must use the next nc.
      const [sha, md5] = first.challenge as [string, string];
      const shaAnswer = request({ authorization: digestHeader(sha, 'portsip', 'Circle of Life', '00000001') });
      const md5Answer = request({ authorization: digestHeader(md5, 'portsip', 'Circle of Life', '00000002') });
      await expect(auth.authenticate('digest', stored, shaAnswer)).resolves.toEqual({ ok: true });
      await expect(auth.authenticate('digest', stored, md5Answer)).resolves.toEqual({ ok: true });
    });

    it('answers a wrong password with bad_response and a fresh challenge', async () => {
      const [challenge] = auth.digest.challenge({}, now);
      const answer = request({ authorization: digestHeader(challenge, 'portsip', 'guess') });
      const result = await auth.authenticate('digest', stored, answer);
      expect(result).toMatchObject({ ok: false, reason: 'bad_response' });
      expect(result.ok ? [] : result.challenge).toHaveLength(2);
    });

    it('answers an expired nonce with stale and a challenge carrying stale=true', async () => {
      const [challenge] = auth.digest.challenge({}, now);
      now += 301_000;
      const answer = request({ authorization: digestHeader(challenge, 'portsip', 'Circle of Life') });
      const result = await auth.authenticate('digest', stored, answer);
      expect(result).toMatchObject({ ok: false, reason: 'stale' });
      const values = result.ok ? [] : (result.challenge ?? []);
      expect(values).toHaveLength(2);
      expect(values.every((v) => v.endsWith(', stale=true'))).toBe(true);
    });

    it('refuses a replayed request', async () => {
      const [challenge] = auth.digest.challenge({}, now);
      const answer = request({ authorization: digestHeader(challenge, 'portsip', 'Circle of Life') });
      await expect(auth.authenticate('digest', stored, answer)).resolves.toEqual({ ok: true });
      await expect(auth.authenticate('digest', stored, answer)).resolves.toMatchObject({ ok: false, reason: 'replay' });
    });

    it('refuses an answer signed for another source path', async () => {
      const [challenge] = auth.digest.challenge({}, now);
      const header = digestHeader(challenge, 'portsip', 'Circle of Life', '00000001', '/webhooks/other');
      await expect(auth.authenticate('digest', stored, request({ authorization: header }))).resolves.toMatchObject({
        ok: false,
        reason: 'uri_mismatch',
      });
    });

    it('throws when the stored HA1 belongs to another realm', async () => {
      const otherRealm = new SourceAuthenticator({ secret: SECRET, realm: 'billing' });
      await expect(otherRealm.authenticate('digest', stored, request())).rejects.toThrow(CredentialConfigurationError);
    });

    it('uses the configured realm and algorithm order', async () => {
      const custom = new SourceAuthenticator({ secret: SECRET, realm: 'pbx-hooks', digestAlgorithms: ['MD5'] });
      const own = hashSourceSecret('digest', { username: 'u', password: 'p' }, 'pbx-hooks');
      const result = await custom.authenticate('digest', own, request());
      expect(result.ok ? [] : result.challenge).toEqual([
        expect.stringMatching(/^Digest realm="pbx-hooks", qop="auth", algorithm=MD5, nonce="[A-Za-z0-9_-]+", opaque="/),
      ]);
    });
  });

  describe('configuration errors', () => {
    it('throws when the stored credentials belong to another method or are absent', async () => {
      const token: StoredCredentials = hashSourceSecret('token', { token: 't' });
      await expect(auth.authenticate('bearer', token, request())).rejects.toThrow(CredentialConfigurationError);
      await expect(auth.authenticate('basic', null, request())).rejects.toThrow(CredentialConfigurationError);
      await expect(auth.authenticate('ntlm' as never, token, request())).rejects.toThrow(CredentialConfigurationError);
    });

    it('refuses a short nonce secret and a negative cache period', () => {
      expect(() => new SourceAuthenticator({ secret: 'short' })).toThrow(CredentialConfigurationError);
      expect(() => new SourceAuthenticator({ secret: SECRET, basicCacheSeconds: -1 })).toThrow(
        CredentialConfigurationError,
      );
    });
  });
});

describe('countsAsFailure', () => {
  it('ignores missing credentials, stale nonces and replays, and counts everything else', () => {
    const counted: AuthFailureReason[] = [
      'malformed',
      'wrong_user',
      'bad_response',
      'bad_credentials',
      'uri_mismatch',
      'unsupported',
    ];
    const ignored: AuthFailureReason[] = ['missing', 'stale', 'replay'];
    expect(counted.map(countsAsFailure)).toEqual(counted.map(() => true));
    expect(ignored.map(countsAsFailure)).toEqual(ignored.map(() => false));
  });
});

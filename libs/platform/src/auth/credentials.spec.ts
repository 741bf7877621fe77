import { createHash, scryptSync } from 'node:crypto';
import {
  BasicCredentials,
  constantTimeEqual,
  DigestCredentials,
  hashPassword,
  hashSourceSecret,
  isAuthMethod,
  parseStoredCredentials,
  sha256Hex,
  verifyBasicCredentials,
  verifyPassword,
  verifyToken,
} from './credentials';
import { CredentialConfigurationError, InvalidSecretError } from './errors';

// Cheap parameters keep the suite fast; the default cost is exercised once below.
const FAST = { N: 1024, r: 8, p: 1 };

describe('hashPassword / verifyPassword', () => {
  it('encodes scrypt$N$r$p$salt$hash with the default cost and verifies it', async () => {
    const encoded = hashPassword('s3cret!');
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    await expect(verifyPassword(encoded, 's3cret!')).resolves.toBe(true);
    await expect(verifyPassword(encoded, 's3cret?')).resolves.toBe(false);
  });

  it('stores exactly scrypt(password, salt) under the recorded parameters', () => {
    const encoded = hashPassword('pässwörd', FAST);
    const [, n, r, p, salt, key] = encoded.split('$');
    expect([n, r, p]).toEqual(['1024', '8', '1']);
    const expected = scryptSync('pässwörd', Buffer.from(salt, 'base64url'), 32, { N: 1024, r: 8, p: 1 });
    expect(key).toBe(expected.toString('base64url'));
  });

  it('uses a fresh salt for every hash', () => {
    const a = hashPassword('same', FAST);
    const b = hashPassword('same', FAST);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(a).not.toBe(b);
  });

  it('refuses scrypt parameters that are not a power of two or are out of range', () => {
    expect(() => hashPassword('x', { N: 1000, r: 8, p: 1 })).toThrow(InvalidSecretError);
    expect(() => hashPassword('x', { N: 2 ** 21, r: 8, p: 1 })).toThrow(InvalidSecretError);
    expect(() => hashPassword('x', { N: 1024, r: 0, p: 1 })).toThrow(InvalidSecretError);
  });

  it('throws on a stored hash that is not in the scrypt format', async () => {
    await expect(verifyPassword('bcrypt$2b$10$abc', 'x')).rejects.toThrow(CredentialConfigurationError);
    await expect(verifyPassword('scrypt$1024$8$1$!!$abc', 'x')).rejects.toThrow(CredentialConfigurationError);
  });
});

describe('hashSourceSecret', () => {
  it('stores nothing for none', () => {
    expect(hashSourceSecret('none', {})).toEqual({ method: 'none' });
  });

  it('stores the username and an scrypt hash for basic, never the password', async () => {
    const stored = hashSourceSecret('basic', { username: 'portsip', password: 'hunter22' }, undefined, {
      scrypt: FAST,
    }) as BasicCredentials;
    expect(stored.method).toBe('basic');
    expect(stored.username).toBe('portsip');
    expect(stored.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(JSON.stringify(stored)).not.toContain('hunter22');
    await expect(verifyPassword(stored.passwordHash, 'hunter22')).resolves.toBe(true);
  });

  it('stores HA1 = H(username:realm:password) for MD5 and SHA-256 under the default realm', () => {
    const stored = hashSourceSecret('digest', { username: 'Mufasa', password: 'Circle of Life' });
    expect(stored).toEqual({
      method: 'digest',
      username: 'Mufasa',
      realm: 'cdr-ingest',
      ha1: {
        md5: createHash('md5').update('Mufasa:cdr-ingest:Circle of Life').digest('hex'),
        sha256: createHash('sha256').update('Mufasa:cdr-ingest:Circle of Life').digest('hex'),
      },
    });
  });

  it('binds the HA1 values to the realm it is given', () => {
    const a = hashSourceSecret('digest', { username: 'u', password: 'p' }, 'realm-a') as DigestCredentials;
    const b = hashSourceSecret('digest', { username: 'u', password: 'p' }, 'realm-b') as DigestCredentials;
    expect(a.realm).toBe('realm-a');
    expect(a.ha1.md5).toBe(createHash('md5').update('u:realm-a:p').digest('hex'));
    expect(a.ha1.md5).not.toBe(b.ha1.md5);
    expect(a.ha1.sha256).not.toBe(b.ha1.sha256);
  });

  it('stores the SHA-256 of bearer and X-Pbx-Token tokens', () => {
    const abcSha256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(hashSourceSecret('bearer', { token: 'abc' })).toEqual({ method: 'bearer', tokenSha256: abcSha256 });
    expect(hashSourceSecret('token', { token: 'abc' })).toEqual({ method: 'token', tokenSha256: abcSha256 });
  });

  it.each([
    ['basic without a username', 'basic', { password: 'p' }],
    ['basic without a password', 'basic', { username: 'u' }],
    ['basic with ":" in the username', 'basic', { username: 'a:b', password: 'p' }],
    ['digest with a non-ASCII username', 'digest', { username: 'jürgen', password: 'p' }],
    ['digest with a control character in the username', 'digest', { username: 'a\nb', password: 'p' }],
    ['bearer without a token', 'bearer', {}],
    ['bearer with a space in the token', 'bearer', { token: 'ab cd' }],
    ['token with a non-ASCII character', 'token', { token: 'tökén' }],
    ['token that is too long', 'token', { token: 'x'.repeat(4097) }],
    ['token with a trailing space', 'token', { token: 'abc ' }],
  ] as const)('refuses %s', (_name, method, secrets) => {
    expect(() => hashSourceSecret(method, secrets, undefined, { scrypt: FAST })).toThrow(InvalidSecretError);
  });

  it('accepts an X-Pbx-Token with inner spaces, as the VoIPcloud Secret Token field allows', () => {
    expect(hashSourceSecret('token', { token: 'my secret token' })).toEqual({
      method: 'token',
      tokenSha256: createHash('sha256').update('my secret token').digest('hex'),
    });
  });

  it('refuses a realm that cannot be sent in a header', () => {
    expect(() => hashSourceSecret('digest', { username: 'u', password: 'p' }, 'bad\r\nrealm')).toThrow(
      InvalidSecretError,
    );
  });

  it('refuses an unknown method', () => {
    expect(() => hashSourceSecret('ntlm' as never, {})).toThrow(InvalidSecretError);
  });
});

describe('verifyBasicCredentials', () => {
  const stored = hashSourceSecret('basic', { username: 'pbx', password: 'right' }, undefined, {
    scrypt: FAST,
  }) as BasicCredentials;

  it('distinguishes ok, wrong_user and bad_credentials', async () => {
    await expect(verifyBasicCredentials(stored, 'pbx', 'right')).resolves.toBe('ok');
    await expect(verifyBasicCredentials(stored, 'pbx', 'wrong')).resolves.toBe('bad_credentials');
    await expect(verifyBasicCredentials(stored, 'someone', 'right')).resolves.toBe('wrong_user');
    await expect(verifyBasicCredentials(stored, 'PBX', 'right')).resolves.toBe('wrong_user');
  });
});

describe('verifyToken', () => {
  const stored = { method: 'token' as const, tokenSha256: sha256Hex('tok-123') };

  it('accepts only the exact token', () => {
    expect(verifyToken(stored, 'tok-123')).toBe(true);
    expect(verifyToken(stored, 'tok-124')).toBe(false);
    expect(verifyToken(stored, 'tok-123 ')).toBe(false);
    expect(verifyToken(stored, '')).toBe(false);
  });

  it('returns false instead of throwing on a corrupt stored digest', () => {
    expect(verifyToken({ method: 'bearer', tokenSha256: 'abcd' }, 'x')).toBe(false);
  });
});

describe('parseStoredCredentials', () => {
  it('round-trips every method through JSON', () => {
    for (const stored of [
      hashSourceSecret('none', {}),
      hashSourceSecret('basic', { username: 'u', password: 'p' }, undefined, { scrypt: FAST }),
      hashSourceSecret('digest', { username: 'u', password: 'p' }),
      hashSourceSecret('bearer', { token: 't' }),
      hashSourceSecret('token', { token: 't' }),
    ]) {
      expect(parseStoredCredentials(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
    }
  });

  it.each([
    ['null', null],
    ['an unknown method', { method: 'ntlm' }],
    ['basic without a hash', { method: 'basic', username: 'u' }],
    ['basic with a foreign hash', { method: 'basic', username: 'u', passwordHash: 'md5$abc' }],
    [
      'digest with a short md5',
      { method: 'digest', username: 'u', realm: 'r', ha1: { md5: 'ab', sha256: 'a'.repeat(64) } },
    ],
    [
      'digest without a realm',
      { method: 'digest', username: 'u', ha1: { md5: 'a'.repeat(32), sha256: 'a'.repeat(64) } },
    ],
    ['a token with upper-case hex', { method: 'token', tokenSha256: 'A'.repeat(64) }],
  ])('rejects %s', (_name, value) => {
    expect(() => parseStoredCredentials(value)).toThrow(CredentialConfigurationError);
  });
});

describe('small helpers', () => {
  it('isAuthMethod recognises exactly the five methods', () => {
    expect(['none', 'basic', 'digest', 'bearer', 'token'].every(isAuthMethod)).toBe(true);
    expect(isAuthMethod('Basic')).toBe(false);
    expect(isAuthMethod(undefined)).toBe(false);
  });

  it('constantTimeEqual compares strings of any length', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

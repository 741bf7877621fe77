import { hash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { CredentialConfigurationError, InvalidSecretError } from './errors';

/** Authentication methods a webhook source can be configured with. */
export type AuthMethod = 'none' | 'basic' | 'digest' | 'bearer' | 'token';

/** All methods, in the order the CLI documents them. */
export const AUTH_METHODS: readonly AuthMethod[] = ['none', 'basic', 'digest', 'bearer', 'token'];

/** Realm used when the deployment does not configure one. */
export const DEFAULT_REALM = 'cdr-ingest';

/** Digest hash algorithms the server offers and accepts. */
export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** HA1 = H(username:realm:password) as lowercase hex, once per supported algorithm. */
export interface DigestHa1 {
  md5: string;
  sha256: string;
}

export interface NoneCredentials {
  method: 'none';
}

export interface BasicCredentials {
  method: 'basic';
  username: string;
  /** `scrypt$N$r$p$salt$hash`, salt and hash base64url. */
  passwordHash: string;
}

export interface DigestCredentials {
  method: 'digest';
  username: string;
  /** The realm the HA1 values were computed for; they are useless under any other realm. */
  realm: string;
  ha1: DigestHa1;
}

export interface BearerCredentials {
  method: 'bearer';
  /** SHA-256 of the token, lowercase hex. */
  tokenSha256: string;
}

export interface TokenCredentials {
  method: 'token';
  /** SHA-256 of the `X-Pbx-Token` value, lowercase hex. */
  tokenSha256: string;
}

/** What is persisted for a source: JSON-serialisable, never containing a password or token. */
export type StoredCredentials =
  NoneCredentials | BasicCredentials | DigestCredentials | BearerCredentials | TokenCredentials;

/** Plain-text secrets as the operator types them into `source:create`. */
export interface SourceSecrets {
  username?: string;
  password?: string;
  token?: string;
}

/** scrypt cost parameters (RFC 7914). */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * 2^15 × 8 × 1 costs about 32 MiB and ~100 ms per hash on a small server core. The verification runs
 * on libuv's thread pool and successful checks are cached by the authenticator, so this cost is paid
 * by guessers rather than by the PBX on every webhook.
 */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 2 ** 15, r: 8, p: 1 };

const SCRYPT_KEY_BYTES = 32;
const SCRYPT_SALT_BYTES = 16;
// Upper bounds keep a corrupted or hostile stored hash from asking for gigabytes of memory.
const SCRYPT_MAX_N = 2 ** 20;
const SCRYPT_MAX_R = 32;
const SCRYPT_MAX_P = 16;

const HEX_MD5 = /^[0-9a-f]{32}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
// RFC 6750 b64token: what may follow "Bearer " on the wire.
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
// Printable US-ASCII without surrounding spaces: Node decodes header values as Latin-1 (so other
// characters would not round-trip) and HTTP strips leading and trailing whitespace from field values.
const HEADER_TOKEN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** True when `value` names one of the five methods. */
export function isAuthMethod(value: unknown): value is AuthMethod {
  return typeof value === 'string' && (AUTH_METHODS as readonly string[]).includes(value);
}

/** Lowercase hex SHA-256 of a UTF-8 string. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/** Compares two strings without revealing, through timing, where they differ or how long they are. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Hashing first gives equal-length inputs, which timingSafeEqual requires.
  const da = hash('sha256', a, 'buffer');
  const db = hash('sha256', b, 'buffer');
  return timingSafeEqual(da, db);
}

/** HA1 = H(username ":" realm ":" password) for the given algorithm (RFC 7616 §3.4.2), lowercase hex. */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hash(algorithm === 'MD5' ? 'md5' : 'sha256', `${username}:${realm}:${password}`, 'hex');
}

/** Hashes a password with scrypt and a fresh random salt into `scrypt$N$r$p$salt$hash`. */
export function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): string {
  checkScryptParams(params, InvalidSecretError);
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = scryptSync(password, salt, SCRYPT_KEY_BYTES, scryptOptions(params));
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a `scrypt$…` string off the event loop; the key comparison is constant-time. */
export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  const { params, salt, key } = decodePasswordHash(encoded);
  const candidate = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, salt, key.length, scryptOptions(params), (err, derived) => (err ? reject(err) : resolve(derived)));
  });
  return timingSafeEqual(candidate, key);
}

/** Outcome of checking a Basic username and password against stored credentials. */
export type BasicCheck = 'ok' | 'wrong_user' | 'bad_credentials';

/** Verifies Basic credentials; always runs scrypt so a wrong username costs as much time as a wrong password. */
export async function verifyBasicCredentials(
  stored: BasicCredentials,
  username: string,
  password: string,
): Promise<BasicCheck> {
  const userMatches = constantTimeEqual(username, stored.username);
  const passwordMatches = await verifyPassword(stored.passwordHash, password);
  if (!userMatches) return 'wrong_user';
  return passwordMatches ? 'ok' : 'bad_credentials';
}

/** Compares a presented bearer or `X-Pbx-Token` value with the stored SHA-256, in constant time. */
export function verifyToken(stored: BearerCredentials | TokenCredentials, presented: string): boolean {
  const presentedDigest = hash('sha256', presented, 'buffer');
  const storedDigest = Buffer.from(stored.tokenSha256, 'hex');
  // parseStoredCredentials guarantees 32 bytes; the guard keeps timingSafeEqual from throwing on bad input.
  if (storedDigest.length !== presentedDigest.length) return false;
  return timingSafeEqual(presentedDigest, storedDigest);
}

/** Turns the operator's plain-text secrets into what is stored for a source (throws InvalidSecretError). */
export function hashSourceSecret(
  method: AuthMethod,
  secrets: SourceSecrets,
  realm: string = DEFAULT_REALM,
  options: { scrypt?: ScryptParams } = {},
): StoredCredentials {
  switch (method) {
    case 'none':
      return { method: 'none' };
    case 'basic': {
      const username = requireUsername(secrets.username, 'basic');
      if (username.includes(':')) {
        throw new InvalidSecretError('basic: the username must not contain ":" (RFC 7617)');
      }
      const password = requirePassword(secrets.password, 'basic');
      return { method: 'basic', username, passwordHash: hashPassword(password, options.scrypt) };
    }
    case 'digest': {
      checkRealm(realm, InvalidSecretError);
      const username = requireUsername(secrets.username, 'digest');
      if (!PRINTABLE_ASCII.test(username)) {
        // Non-ASCII usernames need RFC 7616's username* form, which clients implement inconsistently.
        throw new InvalidSecretError('digest: the username must be printable ASCII');
      }
      const password = requirePassword(secrets.password, 'digest');
      return {
        method: 'digest',
        username,
        realm,
        ha1: {
          md5: computeHa1('MD5', username, realm, password),
          sha256: computeHa1('SHA-256', username, realm, password),
        },
      };
    }
    case 'bearer': {
      const token = requireToken(secrets.token, 'bearer');
      if (!BEARER_TOKEN.test(token)) {
        throw new InvalidSecretError(
          'bearer: the token may contain only letters, digits and - . _ ~ + / (optionally ending in =)',
        );
      }
      return { method: 'bearer', tokenSha256: sha256Hex(token) };
    }
    case 'token': {
      const token = requireToken(secrets.token, 'token');
      if (!HEADER_TOKEN.test(token)) {
        throw new InvalidSecretError('token: the token must be printable ASCII without leading or trailing spaces');
      }
      return { method: 'token', tokenSha256: sha256Hex(token) };
    }
    default:
      throw new InvalidSecretError(`unknown auth method ${JSON.stringify(method)}`);
  }
}

/** Validates credentials read back from storage (e.g. a JSON column); throws CredentialConfigurationError. */
export function parseStoredCredentials(value: unknown): StoredCredentials {
  if (typeof value !== 'object' || value === null) {
    throw new CredentialConfigurationError('stored credentials must be an object');
  }
  const v = value as Record<string, unknown>;
  const fail = (why: string): never => {
    throw new CredentialConfigurationError(`stored ${String(v.method)} credentials: ${why}`);
  };
  switch (v.method) {
    case 'none':
      return { method: 'none' };
    case 'basic': {
      if (typeof v.username !== 'string' || v.username === '') fail('username missing');
      if (typeof v.passwordHash !== 'string') fail('passwordHash missing');
      decodePasswordHash(v.passwordHash as string);
      return { method: 'basic', username: v.username as string, passwordHash: v.passwordHash as string };
    }
    case 'digest': {
      if (typeof v.username !== 'string' || v.username === '') fail('username missing');
      if (typeof v.realm !== 'string' || v.realm === '') fail('realm missing');
      const ha1 = v.ha1 as Record<string, unknown> | undefined;
      if (typeof ha1 !== 'object' || ha1 === null) fail('ha1 missing');
      const md5 = (ha1 as Record<string, unknown>).md5;
      const sha256 = (ha1 as Record<string, unknown>).sha256;
      if (typeof md5 !== 'string' || !HEX_MD5.test(md5)) fail('ha1.md5 is not 32 lowercase hex digits');
      if (typeof sha256 !== 'string' || !HEX_SHA256.test(sha256)) {
        fail('ha1.sha256 is not 64 lowercase hex digits');
      }
      return {
        method: 'digest',
        username: v.username as string,
        realm: v.realm as string,
        ha1: { md5: md5 as string, sha256: sha256 as string },
      };
    }
    case 'bearer':
    case 'token': {
      if (typeof v.tokenSha256 !== 'string' || !HEX_SHA256.test(v.tokenSha256)) {
        fail('tokenSha256 is not 64 lowercase hex digits');
      }
      return { method: v.method, tokenSha256: v.tokenSha256 as string };
    }
    default:
      throw new CredentialConfigurationError(`unknown auth method ${JSON.stringify(v.method)}`);
  }
}

/** Rejects realms that cannot be sent inside a quoted-string header parameter. */
export function checkRealm(
  realm: string,
  ErrorClass: new (message: string) => Error = CredentialConfigurationError,
): void {
  if (typeof realm !== 'string' || realm === '' || realm.length > 128 || !PRINTABLE_ASCII.test(realm)) {
    throw new ErrorClass('realm must be 1-128 printable ASCII characters');
  }
}

function decodePasswordHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    throw new CredentialConfigurationError('password hash is not in scrypt$N$r$p$salt$hash form');
  }
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const params: ScryptParams = { N: Number(n), r: Number(r), p: Number(p) };
  checkScryptParams(params, CredentialConfigurationError);
  if (!B64URL.test(salt) || !B64URL.test(key)) {
    throw new CredentialConfigurationError('password hash salt or key is not base64url');
  }
  const keyBytes = Buffer.from(key, 'base64url');
  if (keyBytes.length < 16) throw new CredentialConfigurationError('password hash key is too short');
  return { params, salt: Buffer.from(salt, 'base64url'), key: keyBytes };
}

function checkScryptParams(params: ScryptParams, ErrorClass: new (message: string) => Error): void {
  const { N, r, p } = params;
  const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > SCRYPT_MAX_N) throw new ErrorClass(`scrypt N must be a power of two ≤ 2^20, got ${N}`);
  if (!Number.isInteger(r) || r < 1 || r > SCRYPT_MAX_R) throw new ErrorClass(`scrypt r out of range: ${r}`);
  if (!Number.isInteger(p) || p < 1 || p > SCRYPT_MAX_P) throw new ErrorClass(`scrypt p out of range: ${p}`);
}

function scryptOptions(params: ScryptParams): { N: number; r: number; p: number; maxmem: number } {
  // Node refuses anything above 32 MiB by default; allow the documented 128·N·r bytes plus headroom.
  return { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
}

function requireUsername(username: string | undefined, method: string): string {
  if (typeof username !== 'string' || username === '') {
    throw new InvalidSecretError(`${method}: a username is required`);
  }
  if (CONTROL_CHARS.test(username)) throw new InvalidSecretError(`${method}: the username contains control characters`);
  return username;
}

function requirePassword(password: string | undefined, method: string): string {
  if (typeof password !== 'string' || password === '') {
    throw new InvalidSecretError(`${method}: a password is required`);
  }
  return password;
}

function requireToken(token: string | undefined, method: string): string {
  if (typeof token !== 'string' || token === '') throw new InvalidSecretError(`${method}: a token is required`);
  if (token.length > 4096) throw new InvalidSecretError(`${method}: the token is longer than 4096 characters`);
  return token;
}

import { createHmac, randomBytes } from 'node:crypto';
import { parse as parseAuthHeader } from 'auth-header';
import basicAuth from 'basic-auth';
import { BoundedMap } from './bounded-map';
import {
  AuthMethod,
  BasicCredentials,
  checkRealm,
  DEFAULT_REALM,
  DigestAlgorithm,
  isAuthMethod,
  StoredCredentials,
  verifyBasicCredentials,
  verifyToken,
} from './credentials';
import { DigestAuthenticator, DigestFailureReason, quoteHeaderValue as quote } from './digest';
import { CredentialConfigurationError } from './errors';

/** The parts of an incoming webhook request that authentication looks at. */
export interface WebhookRequest {
  /** HTTP method as received. */
  method: string;
  /** Request target as received (path and query), e.g. `/webhooks/abc?x=1`. */
  url: string;
  /** Header map as Node produces it (lower-case names); other casings are also found. */
  headers: Record<string, string | string[] | undefined>;
}

/** Why a request was not authenticated. `bad_credentials` is a wrong Basic password or a wrong token. */
export type AuthFailureReason = DigestFailureReason | 'bad_credentials';

/** Result of authenticating one request; `challenge` holds the `WWW-Authenticate` values for the 401. */
export type AuthOutcome = { ok: true } | { ok: false; reason: AuthFailureReason; challenge?: string[] };

export interface SourceAuthenticatorOptions {
  /** Key for Digest nonces, at least 32 bytes, identical in every process (see DigestAuthenticator). */
  secret: string | Buffer;
  /** Realm for Basic, Digest and Bearer challenges (default `cdr-ingest`). */
  realm?: string;
  /** Digest nonce lifetime in seconds (default 300). */
  nonceLifetimeSeconds?: number;
  /** Digest replay history size (default 10 000). */
  replayCacheSize?: number;
  /** Digest algorithms offered, in order (default SHA-256, MD5; see DigestAuthenticatorOptions). */
  digestAlgorithms?: readonly DigestAlgorithm[];
  /** How long a successful Basic check is remembered, in seconds (default 300; 0 disables). */
  basicCacheSeconds?: number;
  /** Most remembered Basic successes (default 1 000). */
  basicCacheSize?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
}

/** Header carrying the shared secret for the `token` method. */
export const PBX_TOKEN_HEADER = 'x-pbx-token';

// Reasons that say nothing about whether the sender knows the secret: a first request without
// credentials (PortSIP's Digest flow always starts that way), an old nonce, or a resent request.
const NOT_A_FAILURE: ReadonlySet<AuthFailureReason> = new Set<AuthFailureReason>(['missing', 'stale', 'replay']);

/** Whether a failed outcome should be counted by the FailureThrottle (wrong or garbage credentials). */
export function countsAsFailure(reason: AuthFailureReason): boolean {
  return !NOT_A_FAILURE.has(reason);
}

/**
 * Authenticates webhook requests for every source auth method. One instance per process: it holds
 * the Digest replay history and a short-lived memory of successful Basic checks, so a PBX that sends
 * the same Basic credentials on every webhook pays for scrypt once per cache period, not per request.
 */
export class SourceAuthenticator {
  readonly realm: string;
  readonly digest: DigestAuthenticator;
  private readonly clock: () => number;
  private readonly basicCacheMs: number;
  private readonly basicCacheKey = randomBytes(32);
  private readonly basicCache: BoundedMap<string, number>;

  /** Creates an authenticator; throws CredentialConfigurationError on unusable options. */
  constructor(options: SourceAuthenticatorOptions) {
    this.realm = options.realm ?? DEFAULT_REALM;
    checkRealm(this.realm);
    this.clock = options.clock ?? Date.now;
    this.digest = new DigestAuthenticator({
      secret: options.secret,
      realm: this.realm,
      nonceLifetimeSeconds: options.nonceLifetimeSeconds,
      replayCacheSize: options.replayCacheSize,
      challengeAlgorithms: options.digestAlgorithms,
    });
    const cacheSeconds = options.basicCacheSeconds ?? 300;
    if (!Number.isFinite(cacheSeconds) || cacheSeconds < 0) {
      throw new CredentialConfigurationError('basicCacheSeconds must be zero or positive');
    }
    this.basicCacheMs = cacheSeconds * 1000;
    this.basicCache = new BoundedMap<string, number>(options.basicCacheSize ?? 1000);
  }

  /**
   * Authenticates a request for a source configured with `method` and `stored` credentials.
   * Throws CredentialConfigurationError when the stored credentials do not belong to `method` or,
   * for Digest, were computed under another realm: that is an operator problem, not a 401.
   */
  async authenticate(
    method: AuthMethod,
    stored: StoredCredentials | null | undefined,
    request: WebhookRequest,
  ): Promise<AuthOutcome> {
    if (!isAuthMethod(method)) throw new CredentialConfigurationError(`unknown auth method ${String(method)}`);
    if (method === 'none') return { ok: true };
    if (!stored || stored.method !== method) {
      throw new CredentialConfigurationError(
        `source uses ${method} but its stored credentials are ${stored ? stored.method : 'absent'}`,
      );
    }
    switch (stored.method) {
      case 'basic':
        return this.basic(stored, request);
      case 'digest': {
        if (stored.realm !== this.realm) {
          throw new CredentialConfigurationError(
            `digest credentials were stored for realm "${stored.realm}" but the server realm is "${this.realm}"; ` +
              'set the password again',
          );
        }
        const header = singleHeader(request.headers, 'authorization');
        if (header === AMBIGUOUS) return this.digestFailure('malformed');
        const result = this.digest.verify(
          header,
          { method: request.method, uri: request.url, username: stored.username, ha1: stored.ha1 },
          this.clock(),
        );
        return result.ok ? result : this.digestFailure(result.reason);
      }
      case 'bearer':
        return this.bearer(stored.tokenSha256, request);
      case 'token': {
        const header = singleHeader(request.headers, PBX_TOKEN_HEADER);
        if (header === AMBIGUOUS) return { ok: false, reason: 'malformed' };
        if (header === undefined || header === '') return { ok: false, reason: 'missing' };
        return verifyToken(stored, header) ? { ok: true } : { ok: false, reason: 'bad_credentials' };
      }
      default:
        // Only 'none' could reach this point, and it returned before the switch.
        throw new CredentialConfigurationError(`unexpected stored method ${(stored as { method: string }).method}`);
    }
  }

  private async basic(stored: BasicCredentials, request: WebhookRequest): Promise<AuthOutcome> {
    const challenge = [`Basic realm=${quote(this.realm)}, charset="UTF-8"`];
    const header = singleHeader(request.headers, 'authorization');
    if (header === AMBIGUOUS) return { ok: false, reason: 'malformed', challenge };
    if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing', challenge };

    const credentials = basicAuth.parse(header);
    if (credentials === undefined) {
      const scheme = schemeOf(header);
      return { ok: false, reason: scheme === 'basic' || scheme === undefined ? 'malformed' : 'missing', challenge };
    }

    const now = this.clock();
    const cacheKey = this.basicCacheMs > 0 ? this.basicCacheKeyFor(stored, credentials.name, credentials.pass) : '';
    if (cacheKey !== '') {
      const expiresAt = this.basicCache.get(cacheKey);
      if (expiresAt !== undefined && expiresAt > now) return { ok: true };
    }

    const check = await verifyBasicCredentials(stored, credentials.name, credentials.pass);
    if (check !== 'ok') return { ok: false, reason: check, challenge };
    if (cacheKey !== '') this.basicCache.set(cacheKey, now + this.basicCacheMs);
    return { ok: true };
  }

  /**
   * Keyed by a per-process random HMAC key over the stored hash and the presented pair, so the cache
   * holds nothing that helps recover the password, and a password change (new stored hash) misses it.
   */
  private basicCacheKeyFor(stored: BasicCredentials, username: string, password: string): string {
    return createHmac('sha256', this.basicCacheKey)
      .update(JSON.stringify([stored.passwordHash, stored.username, username, password]))
      .digest('base64url');
  }

  private bearer(tokenSha256: string, request: WebhookRequest): AuthOutcome {
    const realm = `realm=${quote(this.realm)}`;
    const challenge = [`Bearer ${realm}`];
    const invalid = [`Bearer ${realm}, error="invalid_token"`];
    const header = singleHeader(request.headers, 'authorization');
    if (header === AMBIGUOUS) return { ok: false, reason: 'malformed', challenge: invalid };
    if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing', challenge };

    let parsed: ReturnType<typeof parseAuthHeader>;
    try {
      parsed = parseAuthHeader(header.trim());
    } catch {
      return { ok: false, reason: 'malformed', challenge: invalid };
    }
    if (parsed.scheme.toLowerCase() !== 'bearer') return { ok: false, reason: 'missing', challenge };
    if (typeof parsed.token !== 'string' || Object.keys(parsed.params).length > 0) {
      return { ok: false, reason: 'malformed', challenge: invalid };
    }
    return verifyToken({ method: 'bearer', tokenSha256 }, parsed.token)
      ? { ok: true }
      : { ok: false, reason: 'bad_credentials', challenge: invalid };
  }

  private digestFailure(reason: DigestFailureReason): AuthOutcome {
    return { ok: false, reason, challenge: this.digest.challenge({ stale: reason === 'stale' }, this.clock()) };
  }
}

const AMBIGUOUS = Symbol('ambiguous');

/**
 * Returns the header's single trimmed value. Repeated credentials are AMBIGUOUS rather than "pick
 * one", because which copy a proxy or framework keeps differs between implementations.
 */
function singleHeader(headers: WebhookRequest['headers'], name: string): string | undefined | typeof AMBIGUOUS {
  let found: string | string[] | undefined = headers[name];
  if (found === undefined) {
    for (const [key, value] of Object.entries(headers)) {
      if (key.toLowerCase() === name && value !== undefined) {
        if (found !== undefined) return AMBIGUOUS;
        found = value;
      }
    }
  }
  if (Array.isArray(found)) {
    if (found.length > 1) return AMBIGUOUS;
    found = found[0];
  }
  return found?.trim();
}

function schemeOf(header: string): string | undefined {
  try {
    return parseAuthHeader(header.trim()).scheme.toLowerCase();
  } catch {
    return undefined;
  }
}

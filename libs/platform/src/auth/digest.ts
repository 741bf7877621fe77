import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseAuthHeader } from 'auth-header';
import { BoundedMap } from './bounded-map';
import { checkRealm, constantTimeEqual, DEFAULT_REALM, DigestAlgorithm, DigestHa1 } from './credentials';
import { CredentialConfigurationError } from './errors';

/** Why a Digest `Authorization` header was not accepted. */
export type DigestFailureReason =
  'missing' | 'malformed' | 'wrong_user' | 'bad_response' | 'stale' | 'replay' | 'uri_mismatch' | 'unsupported';

/** Result of `DigestAuthenticator.verify`. */
export type DigestVerifyResult = { ok: true } | { ok: false; reason: DigestFailureReason };

/** What the server knows about the request and the source when checking a Digest response. */
export interface DigestVerifyContext {
  /** HTTP method as received, e.g. `POST`. */
  method: string;
  /** Request target exactly as received (path and query), e.g. `/webhooks/abc`. */
  uri: string;
  /** The source's configured username. */
  username: string;
  /** Stored HA1 values for the source, computed under this authenticator's realm. */
  ha1: DigestHa1;
}

export interface DigestAuthenticatorOptions {
  /**
   * Key for signing nonces (at least 32 bytes). Every process that can receive a PBX's follow-up
   * request must use the same key, or nonces issued by one are rejected by the others.
   */
  secret: string | Buffer;
  /** Protection space sent in challenges; changing it invalidates every stored HA1. */
  realm?: string;
  /** How long an issued nonce is accepted, in seconds (default 300). */
  nonceLifetimeSeconds?: number;
  /** Most (nonce, nc) histories kept for replay detection (default 10 000). */
  replayCacheSize?: number;
  /**
   * Algorithms offered in challenges, in order (default SHA-256 then MD5). Many clients answer only
   * the first Digest challenge and fail if they lack its algorithm (Python's urllib, curl < 7.57),
   * so a PBX that only does MD5 needs MD5 first or alone. Responses in either algorithm are always
   * accepted whatever is offered.
   */
  challengeAlgorithms?: readonly DigestAlgorithm[];
}

const NONCE_TIME_BYTES = 8;
const NONCE_RANDOM_BYTES = 16;
const NONCE_MAC_BYTES = 16;
const NONCE_BYTES = NONCE_TIME_BYTES + NONCE_RANDOM_BYTES + NONCE_MAC_BYTES;
const NONCE_PATTERN = /^[A-Za-z0-9_-]{54}$/; // base64url of NONCE_BYTES, no padding
// A nonce dated this far in the future is treated like an expired one: only another process with a
// skewed clock can produce it, and the client recovers by retrying with a fresh nonce.
const MAX_CLOCK_SKEW_MS = 30_000;
const NC_PATTERN = /^[0-9a-fA-F]{8}$/;
const REQUIRED_PARAMS = ['username', 'realm', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce'] as const;

interface ReplayEntry {
  issuedAt: number;
  lastNc: number;
}

type NonceCheck = { state: 'fresh'; issuedAt: number } | { state: 'stale' };

/**
 * Server side of HTTP Digest authentication (RFC 7616) with `qop=auth`, MD5 and SHA-256.
 *
 * Nonces are stateless, 40 bytes in base64url (54 characters): issue time in ms (8 bytes, big-endian)
 * ‖ 16 random bytes ‖ the first 16 bytes of HMAC-SHA256(key derived from the secret, realm ‖ NUL ‖
 * the first 24 bytes). Any process sharing the secret can validate them and none has to remember
 * what it issued; the signed issue time gives the expiry.
 * Replay protection does need state: the last `nc` seen per nonce is kept in a bounded in-memory map,
 * which is per process. With several ingest processes behind a load balancer a captured request can
 * be replayed once against each other process until its nonce expires; pin PBXs to one process
 * (sticky routing) or keep the nonce lifetime short if that matters.
 */
export class DigestAuthenticator {
  readonly realm: string;
  readonly nonceLifetimeMs: number;
  readonly challengeAlgorithms: readonly DigestAlgorithm[];
  private readonly nonceKey: Buffer;
  private readonly opaque: string;
  private readonly replay: BoundedMap<string, ReplayEntry>;
  // Highest issue time among histories evicted for space. An unseen nonce issued at or before it may
  // be one whose history was evicted, so it is refused as stale instead of being replayable.
  private evictedUpTo = -Infinity;
  private lastSweepAt = -Infinity;

  /** Creates an authenticator; throws CredentialConfigurationError on an unusable secret or realm. */
  constructor(options: DigestAuthenticatorOptions) {
    const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
    if (!Buffer.isBuffer(secret) || secret.length < 32) {
      throw new CredentialConfigurationError('digest nonce secret must be at least 32 bytes');
    }
    this.realm = options.realm ?? DEFAULT_REALM;
    checkRealm(this.realm);
    const lifetime = options.nonceLifetimeSeconds ?? 300;
    if (!Number.isFinite(lifetime) || lifetime <= 0) {
      throw new CredentialConfigurationError('nonceLifetimeSeconds must be a positive number');
    }
    this.nonceLifetimeMs = lifetime * 1000;
    this.challengeAlgorithms = options.challengeAlgorithms ?? ['SHA-256', 'MD5'];
    const offered = new Set<string>(this.challengeAlgorithms);
    if (
      this.challengeAlgorithms.length === 0 ||
      offered.size !== this.challengeAlgorithms.length ||
      [...offered].some((a) => a !== 'SHA-256' && a !== 'MD5')
    ) {
      throw new CredentialConfigurationError('challengeAlgorithms must list SHA-256 and/or MD5 once each');
    }
    // A derived key rather than the raw secret, so the same secret can safely serve other purposes.
    this.nonceKey = createHmac('sha256', secret).update('cdr-ingest digest nonce v1').digest();
    // The opaque value only has to come back unchanged; it is derived from the realm alone so that a
    // secret rotation turns in-flight answers into `stale` (retry silently), not `malformed`.
    this.opaque = createHash('sha256')
      .update(`cdr-ingest digest opaque v1\0${this.realm}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    this.replay = new BoundedMap<string, ReplayEntry>(options.replayCacheSize ?? 10_000, (_nonce, entry) => {
      this.evictedUpTo = Math.max(this.evictedUpTo, entry.issuedAt);
    });
  }

  /** Number of nonces whose `nc` history is currently remembered. */
  get trackedNonces(): number {
    return this.replay.size;
  }

  /** `WWW-Authenticate` values for a 401, one per offered algorithm (SHA-256 first by default), sharing one fresh nonce. */
  challenge(options: { stale?: boolean } = {}, now: number = Date.now()): string[] {
    const nonce = this.issueNonce(now);
    return this.challengeAlgorithms.map((algorithm) => {
      // Formatted here rather than with auth-header's format(), which joins parameters with spaces
      // instead of commas and leaves token values unquoted where RFC 7616 requires quoted-strings.
      const params = [
        `realm=${quoteHeaderValue(this.realm)}`,
        `qop="auth"`,
        `algorithm=${algorithm}`,
        `nonce=${quoteHeaderValue(nonce)}`,
        `opaque=${quoteHeaderValue(this.opaque)}`,
      ];
      if (options.stale) params.push('stale=true');
      return `Digest ${params.join(', ')}`;
    });
  }

  /** Checks a Digest `Authorization` header against the request and the source's stored HA1. */
  verify(
    authorizationHeader: string | undefined,
    context: DigestVerifyContext,
    now: number = Date.now(),
  ): DigestVerifyResult {
    checkHa1(context.ha1);
    const header = authorizationHeader?.trim();
    if (!header) return fail('missing');

    let parsed: ReturnType<typeof parseAuthHeader>;
    try {
      parsed = parseAuthHeader(header);
    } catch {
      return fail('malformed');
    }
    // Credentials for another scheme are, for Digest, no credentials: answer with a challenge.
    if (parsed.scheme.toLowerCase() !== 'digest') return fail('missing');
    if (parsed.token !== null) return fail('malformed');

    const params = normaliseParams(parsed.params);
    if (params === undefined) return fail('malformed');

    if (params['username*'] !== undefined && params.username === undefined) return fail('unsupported');
    if (params.qop === undefined && params.response !== undefined) {
      return fail('unsupported'); // RFC 2069 compatibility mode
    }
    for (const name of REQUIRED_PARAMS) {
      if (params[name] === undefined || params[name] === '') return fail('malformed');
    }
    const p = params as Record<(typeof REQUIRED_PARAMS)[number], string> & Record<string, string | undefined>;

    const qop = p.qop.toLowerCase();
    if (qop === 'auth-int') return fail('unsupported');
    if (qop !== 'auth') return fail('malformed');

    const algorithm = parseAlgorithm(p.algorithm);
    if (algorithm === 'malformed' || algorithm === 'unsupported') return fail(algorithm);

    if (p.userhash !== undefined) {
      const userhash = p.userhash.toLowerCase();
      if (userhash === 'true') return fail('unsupported');
      if (userhash !== 'false') return fail('malformed');
    }

    if (!NC_PATTERN.test(p.nc)) return fail('malformed');
    const nc = Number.parseInt(p.nc, 16);
    if (nc === 0) return fail('malformed');

    // The realm is bound into HA1, so a response for another realm can never verify.
    if (p.realm !== this.realm) return fail('malformed');
    if (p.opaque !== undefined && !constantTimeEqual(p.opaque, this.opaque)) return fail('malformed');
    if (p.uri !== context.uri) return fail('uri_mismatch');
    if (!constantTimeEqual(p.username, context.username)) return fail('wrong_user');

    const ha1 = algorithm === 'MD5' ? context.ha1.md5 : context.ha1.sha256;
    const expected = computeDigestResponse(algorithm, {
      ha1,
      nonce: p.nonce,
      nc: p.nc,
      cnonce: p.cnonce,
      qop: p.qop,
      method: context.method,
      uri: p.uri,
    });
    if (!hexEqual(expected, p.response.toLowerCase())) return fail('bad_response');

    // Only now, with proof that the client knows the password, is the nonce itself judged. A correct
    // response over an expired, foreign (secret rotated, process restarted) or forgotten nonce earns
    // `stale`, which lets the client retry with the new nonce without asking for new credentials.
    const nonce = this.checkNonce(p.nonce, now);
    if (nonce.state === 'stale') return fail('stale');
    return this.recordUse(p.nonce, nonce.issuedAt, nc, now);
  }

  private issueNonce(now: number): string {
    const body = Buffer.alloc(NONCE_TIME_BYTES + NONCE_RANDOM_BYTES);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(now))), 0);
    randomBytes(NONCE_RANDOM_BYTES).copy(body, NONCE_TIME_BYTES);
    return Buffer.concat([body, this.nonceMac(body)]).toString('base64url');
  }

  private nonceMac(body: Buffer): Buffer {
    return createHmac('sha256', this.nonceKey)
      .update(this.realm, 'utf8')
      .update('\0')
      .update(body)
      .digest()
      .subarray(0, NONCE_MAC_BYTES);
  }

  private checkNonce(nonce: string, now: number): NonceCheck {
    if (!NONCE_PATTERN.test(nonce)) return { state: 'stale' };
    const bytes = Buffer.from(nonce, 'base64url');
    // Only the canonical encoding is ours; other spellings of the same bytes would dodge the replay map.
    if (bytes.length !== NONCE_BYTES || bytes.toString('base64url') !== nonce) return { state: 'stale' };
    const body = bytes.subarray(0, NONCE_TIME_BYTES + NONCE_RANDOM_BYTES);
    const mac = bytes.subarray(NONCE_TIME_BYTES + NONCE_RANDOM_BYTES);
    if (!timingSafeEqual(mac, this.nonceMac(body))) return { state: 'stale' };
    const issuedAt = Number(body.readBigUInt64BE(0));
    const age = now - issuedAt;
    if (age > this.nonceLifetimeMs || age < -MAX_CLOCK_SKEW_MS) return { state: 'stale' };
    return { state: 'fresh', issuedAt };
  }

  private recordUse(nonce: string, issuedAt: number, nc: number, now: number): DigestVerifyResult {
    this.sweepExpired(now);
    const entry = this.replay.get(nonce);
    if (entry === undefined) {
      if (issuedAt <= this.evictedUpTo) return fail('stale');
      this.replay.set(nonce, { issuedAt, lastNc: nc });
      return { ok: true };
    }
    if (nc <= entry.lastNc) return fail('replay');
    entry.lastNc = nc;
    return { ok: true };
  }

  private sweepExpired(now: number): void {
    // A full pass at most every tenth of a lifetime keeps the cost amortised O(1) per request.
    if (now - this.lastSweepAt < this.nonceLifetimeMs / 10) return;
    this.lastSweepAt = now;
    // Histories of expired nonces are useless: such nonces are refused as stale before the map is read.
    this.replay.deleteWhere((entry) => now - entry.issuedAt > this.nonceLifetimeMs);
  }
}

/** The `response` value of RFC 7616 §3.4.1 for `qop=auth`: KD(HA1, nonce:nc:cnonce:qop:H(method:uri)). */
export function computeDigestResponse(
  algorithm: DigestAlgorithm,
  input: { ha1: string; nonce: string; nc: string; cnonce: string; qop: string; method: string; uri: string },
): string {
  const ha2 = hashHex(algorithm, `${input.method}:${input.uri}`);
  return hashHex(algorithm, `${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:${input.qop}:${ha2}`);
}

function hashHex(algorithm: DigestAlgorithm, data: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(data, 'utf8')
    .digest('hex');
}

function hexEqual(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  // The length of a valid response is public (it follows from the algorithm), so this early exit leaks nothing.
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

function parseAlgorithm(value: string | undefined): DigestAlgorithm | 'malformed' | 'unsupported' {
  // RFC 7616 §3.4: without an algorithm parameter the client used MD5.
  if (value === undefined) return 'MD5';
  switch (value.toUpperCase()) {
    case 'MD5':
      return 'MD5';
    case 'SHA-256':
      return 'SHA-256';
    case '':
      return 'malformed';
    default:
      return 'unsupported'; // e.g. the -sess variants or SHA-512-256, which are never offered
  }
}

/**
 * Lower-cases parameter names (they are case-insensitive) and undoes quoted-pair escaping, which
 * auth-header only does for `\"`. Returns undefined when a parameter is repeated.
 */
function normaliseParams(raw: Record<string, string | string[]>): Record<string, string> | undefined {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') return undefined;
    const key = name.toLowerCase();
    if (key in out) return undefined;
    out[key] = value.replace(/\\(.)/g, '$1');
  }
  return out;
}

/** Renders a header parameter value as an RFC 9110 quoted-string. */
export function quoteHeaderValue(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function checkHa1(ha1: DigestHa1): void {
  if (!/^[0-9a-f]{32}$/.test(ha1.md5) || !/^[0-9a-f]{64}$/.test(ha1.sha256)) {
    throw new CredentialConfigurationError('stored digest HA1 values are not lowercase hex of the right length');
  }
}

function fail(reason: DigestFailureReason): DigestVerifyResult {
  return { ok: false, reason };
}

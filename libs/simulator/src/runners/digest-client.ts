import { createHash, randomBytes } from 'node:crypto';

/** One Digest challenge (RFC 7616) as offered in a WWW-Authenticate header. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque: string | null;
  qop: string[];
  algorithm: 'MD5' | 'SHA-256';
  stale: boolean;
}

// auth-param = token "=" ( token / quoted-string ), separated by commas.
const PARAM = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/y;

/**
 * Every Digest challenge in a WWW-Authenticate value (several challenges may share one header,
 * comma-joined, as fetch and Node join repeated headers). Unknown algorithms are skipped.
 */
export function parseDigestChallenges(header: string | string[] | null | undefined): DigestChallenge[] {
  const values = header == null ? [] : Array.isArray(header) ? header : [header];
  const out: DigestChallenge[] = [];
  for (const value of values) {
    // Split at each scheme name: a token followed by a space and then a parameter.
    for (const part of value.split(/,?\s*(?=\b(?:Digest|Basic|Bearer)\s)/i)) {
      const m = /^\s*Digest\s+/i.exec(part);
      if (!m) continue;
      const params: Record<string, string> = {};
      PARAM.lastIndex = m[0].length;
      for (let p = PARAM.exec(part); p; p = PARAM.exec(part)) {
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
        const rest = /^\s*,\s*/.exec(part.slice(PARAM.lastIndex));
        if (!rest) break;
        PARAM.lastIndex += rest[0].length;
      }
      const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
      if ((algorithm !== 'MD5' && algorithm !== 'SHA-256') || !params.realm || !params.nonce) continue;
      out.push({
        realm: params.realm,
        nonce: params.nonce,
        opaque: params.opaque ?? null,
        qop: (params.qop ?? '')
          .split(',')
          .map((q) => q.trim().toLowerCase())
          .filter(Boolean),
        algorithm,
        stale: (params.stale ?? '').toLowerCase() === 'true',
      });
    }
  }
  return out;
}

const h = (algorithm: 'MD5' | 'SHA-256', data: string) =>
  createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(data, 'utf8')
    .digest('hex');

const quote = (v: string) => `"${v.replace(/[\\"]/g, '\\$&')}"`;

/**
 * The client side of HTTP Digest (RFC 7616, qop=auth) as a PBX does it: the first request goes
 * without credentials, the 401's challenge (SHA-256 preferred over MD5) is kept, and each later
 * request answers it with the next nonce count. A server remembers the highest count per nonce, so
 * one session must not be shared by requests in flight at the same time: the sender keeps one
 * session per concurrent lane.
 */
export class DigestSession {
  private challenge: DigestChallenge | null = null;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** True once a challenge has been accepted for answering. */
  get ready(): boolean {
    return this.challenge !== null;
  }

  /** Takes the best challenge of a 401; false when it offers none this client can answer. */
  accept(header: string | string[] | null | undefined): boolean {
    const all = parseDigestChallenges(header).filter((c) => c.qop.includes('auth'));
    const best = all.find((c) => c.algorithm === 'SHA-256') ?? all[0];
    if (!best) return false;
    this.challenge = best;
    this.nc = 0;
    return true;
  }

  /** The Authorization header for `method uri`, or null before any challenge. */
  authorization(method: string, uri: string): string | null {
    const c = this.challenge;
    if (!c) return null;
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const cnonce = randomBytes(12).toString('hex');
    const ha1 = h(c.algorithm, `${this.username}:${c.realm}:${this.password}`);
    const ha2 = h(c.algorithm, `${method}:${uri}`);
    const response = h(c.algorithm, `${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
    const params = [
      `username=${quote(this.username)}`,
      `realm=${quote(c.realm)}`,
      `nonce=${quote(c.nonce)}`,
      `uri=${quote(uri)}`,
      `algorithm=${c.algorithm}`,
      `response=${quote(response)}`,
      `qop=auth`,
      `nc=${nc}`,
      `cnonce=${quote(cnonce)}`,
    ];
    if (c.opaque !== null) params.push(`opaque=${quote(c.opaque)}`);
    return `Digest ${params.join(', ')}`;
  }
}

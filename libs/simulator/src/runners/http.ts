import http from 'node:http';
import https from 'node:https';
import { Vendor } from '../model';
import { Delivery } from '../simulate';
import { DigestSession } from './digest-client';
import { SourceCredentials } from './world-file';

/** Results of an HTTP run. */
export interface HttpStats {
  /** Deliveries attempted (each counted once, whatever its retries). */
  sent: number;
  ok: number;
  non200: number;
  /** Final status of each delivery (`error` when no response at all). */
  byStatus: Record<string, number>;
  /** Extra attempts after a 503/429/network error. */
  retries: number;
  /** Digest 401 challenges answered (the first request of each lane, and stale nonces). */
  challenges: number;
  /** Sum of the server's `accepted` / `duplicates` answers. */
  accepted: number;
  duplicates: number;
  /** Per delivery, first attempt to final answer, Digest handshakes and retries included. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Deliveries per second achieved. */
  eventsPerSecond: number;
  elapsedSeconds: number;
  /** False when --duration ended the run before every delivery was sent. */
  complete: boolean;
}

/**
 * Latencies in logarithmic buckets (2 % wide): percentiles in constant memory however many
 * requests are measured.
 */
export class LatencyHistogram {
  private static readonly BASE = Math.log(1.02);
  private readonly buckets = new Map<number, number>();
  count = 0;
  sum = 0;
  max = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    const b = Math.floor(Math.log(Math.max(ms, 0.001) * 1000) / LatencyHistogram.BASE);
    this.buckets.set(b, (this.buckets.get(b) ?? 0) + 1);
    this.count++;
    this.sum += ms;
    this.max = Math.max(this.max, ms);
  }

  /** The latency below which a share `q` (0–1) of the records fall (upper bucket bound, ms). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(b)!;
      if (seen >= rank) return Math.min(this.max, Math.exp((b + 1) * LatencyHistogram.BASE) / 1000);
    }
    return this.max;
  }
}

/** Where each delivery goes and how to authenticate. */
export type SourceLookup = (tenant: number, vendor: Vendor) => SourceCredentials;

/** Options of an HTTP run. */
export interface HttpOptions {
  target: string;
  /** Deliveries per second. */
  rate: number;
  durationSeconds: number | null;
  concurrency: number;
  maxRetries?: number;
  timeoutMs?: number;
  onProgress?: (sent: number) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  body: string;
  challenge: string[];
  retryAfter: number | null;
}

/**
 * POSTs every delivery to `<target>/webhooks/<sourceId>` as the PBX would: one event per request,
 * with the source's Basic, Digest or token credentials, `concurrency` requests in flight, paced at
 * `rate` deliveries per second in delivery order (simulated time is compressed to that rate).
 * 503 and 429 (and network errors) are retried like PBXs do; 404 is not.
 */
export async function sendHttp(
  deliveries: Iterator<Delivery>,
  sources: SourceLookup,
  options: HttpOptions,
): Promise<HttpStats> {
  const base = new URL(options.target);
  const client = base.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const prefix = base.pathname.replace(/\/$/, '');
  const histogram = new LatencyHistogram();
  const stats = { sent: 0, ok: 0, non200: 0, retries: 0, challenges: 0, accepted: 0, duplicates: 0 };
  const byStatus: Record<string, number> = {};
  const started = Date.now();
  const deadline = options.durationSeconds === null ? Infinity : started + options.durationSeconds * 1000;
  const interval = 1000 / options.rate;
  let scheduled = 0;
  let exhausted = false;
  let stoppedEarly = false;

  const request = (path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = client.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port || undefined,
          method: 'POST',
          path,
          agent,
          headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers },
          timeout: options.timeoutMs ?? 30_000,
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            const challenge: string[] = [];
            for (let i = 0; i < res.rawHeaders.length; i += 2)
              if (res.rawHeaders[i].toLowerCase() === 'www-authenticate') challenge.push(res.rawHeaders[i + 1]);
            const ra = Number(res.headers['retry-after']);
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(parts).toString('utf8'),
              challenge,
              retryAfter: Number.isFinite(ra) ? ra : null,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(body);
    });

  const lane = async (): Promise<void> => {
    // One Digest session per source per lane: nonce counts must rise in the order the server sees them.
    const digest = new Map<string, DigestSession>();
    for (;;) {
      if (exhausted) return;
      if (Date.now() >= deadline) {
        stoppedEarly = true;
        return;
      }
      const next = deliveries.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const d = next.value;
      const slot = started + scheduled++ * interval;
      const wait = slot - Date.now();
      if (wait > 0) await sleep(wait);
      const source = sources(d.tenant, d.vendor);
      const path = `${prefix}/webhooks/${source.id}`;
      const body = Buffer.from(d.text, 'utf8');
      let session: DigestSession | undefined;
      if (source.auth === 'digest') {
        session = digest.get(source.id);
        if (!session) digest.set(source.id, (session = new DigestSession(source.username!, source.password!)));
      }
      const t0 = performance.now();
      let answer: Answer | null = null;
      let attempt = 0;
      for (let challenged = 0; ;) {
        try {
          answer = await request(path, body, authHeaders(source, session, path));
        } catch {
          answer = null;
        }
        if (answer?.status === 401 && session && challenged < 2 && session.accept(answer.challenge)) {
          // The first request of a lane, or a stale nonce: answer the fresh challenge and repeat.
          challenged++;
          stats.challenges++;
          continue;
        }
        const retryable = answer === null || answer.status === 503 || answer.status === 429;
        if (!retryable || attempt >= (options.maxRetries ?? 5)) break;
        attempt++;
        stats.retries++;
        await sleep(Math.min(5000, answer?.retryAfter != null ? answer.retryAfter * 1000 : 100 * 2 ** attempt));
      }
      histogram.record(performance.now() - t0);
      stats.sent++;
      const key = answer ? String(answer.status) : 'error';
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      if (answer?.status === 200) {
        stats.ok++;
        try {
          const parsed = JSON.parse(answer.body) as { accepted?: number; duplicates?: number };
          stats.accepted += parsed.accepted ?? 0;
          stats.duplicates += parsed.duplicates ?? 0;
        } catch {
          // A 200 whose body is not our JSON: counted as ok, nothing to add.
        }
      } else stats.non200++;
      options.onProgress?.(stats.sent);
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, lane));
  } finally {
    agent.destroy();
  }
  const elapsed = (Date.now() - started) / 1000;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    ...stats,
    byStatus,
    latencyMs: {
      p50: round(histogram.quantile(0.5)),
      p90: round(histogram.quantile(0.9)),
      p99: round(histogram.quantile(0.99)),
      max: round(histogram.max),
      mean: round(histogram.count ? histogram.sum / histogram.count : 0),
    },
    eventsPerSecond: Math.round(stats.sent / Math.max(elapsed, 0.001)),
    elapsedSeconds: round(elapsed),
    complete: !stoppedEarly,
  };
}

function authHeaders(
  source: SourceCredentials,
  session: DigestSession | undefined,
  path: string,
): Record<string, string> {
  switch (source.auth) {
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${source.username}:${source.password}`).toString('base64')}` };
    case 'digest': {
      const value = session?.authorization('POST', path);
      return value ? { authorization: value } : {};
    }
    case 'bearer':
      return { authorization: `Bearer ${source.token}` };
    case 'token':
      return { 'x-pbx-token': source.token! };
    default:
      return {};
  }
}

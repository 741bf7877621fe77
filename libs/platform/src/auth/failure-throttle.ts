import { BoundedMap } from './bounded-map';

export interface FailureThrottleOptions {
  /** Failures allowed in a burst and per window (default 10). */
  maxFailures?: number;
  /** Window over which `maxFailures` refill, in seconds (default 60). */
  windowSeconds?: number;
  /** Most (source, address) pairs tracked at once (default 10 000). */
  maxKeys?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  clock?: () => number;
}

/** Whether a (source, address) pair may attempt authentication now. */
export type ThrottleDecision = { blocked: false; remaining: number } | { blocked: true; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Limits authentication failures per (source id, remote address) with a token bucket: each pair may
 * fail `maxFailures` times in a burst, then once every `windowSeconds / maxFailures` seconds. Only
 * `recordFailure` spends tokens, so a sender with correct credentials is never slowed down, and a
 * blocked pair never affects the same source reached from another address.
 *
 * Expected use: `check` before authenticating (answer 429 with `Retry-After` when blocked, without
 * looking at the credentials, so a blocked guesser learns nothing), and `recordFailure` when the
 * outcome `countsAsFailure`.
 *
 * Memory is bounded by `maxKeys`; full buckets are forgotten, and under pressure the least recently
 * failing pair is dropped first. State is per process.
 */
export class FailureThrottle {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly refillPerMs: number;
  private readonly clock: () => number;
  private readonly buckets: BoundedMap<string, Bucket>;
  private lastSweepAt = -Infinity;

  /** Creates a throttle; throws RangeError on non-positive limits. */
  constructor(options: FailureThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 10;
    const windowSeconds = options.windowSeconds ?? 60;
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 1) {
      throw new RangeError('maxFailures must be a positive integer');
    }
    if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError('windowSeconds must be a positive number');
    }
    this.windowMs = windowSeconds * 1000;
    this.refillPerMs = this.maxFailures / this.windowMs;
    this.clock = options.clock ?? Date.now;
    this.buckets = new BoundedMap<string, Bucket>(options.maxKeys ?? 10_000);
  }

  /** Number of (source, address) pairs currently tracked. */
  get trackedKeys(): number {
    return this.buckets.size;
  }

  /** Reports whether the pair is blocked, without counting anything. */
  check(sourceId: string, remoteAddress: string): ThrottleDecision {
    const bucket = this.buckets.peek(throttleKey(sourceId, remoteAddress));
    return this.decide(bucket === undefined ? this.maxFailures : this.tokensAt(bucket, this.clock()));
  }

  /** Counts one authentication failure for the pair and reports the resulting state. */
  recordFailure(sourceId: string, remoteAddress: string): ThrottleDecision {
    const now = this.clock();
    this.sweep(now);
    const key = throttleKey(sourceId, remoteAddress);
    const existing = this.buckets.peek(key);
    const available = existing === undefined ? this.maxFailures : this.tokensAt(existing, now);
    // Failures recorded while already blocked do not push the unblock time further out: the bucket
    // never goes below zero, so Retry-After stays a promise the sender can rely on.
    const bucket: Bucket = { tokens: Math.max(0, available - 1), updatedAt: now };
    this.buckets.set(key, bucket);
    return this.decide(bucket.tokens);
  }

  /** Forgets the pair, e.g. after an operator changed the source's credentials. */
  clear(sourceId: string, remoteAddress: string): void {
    this.buckets.delete(throttleKey(sourceId, remoteAddress));
  }

  private tokensAt(bucket: Bucket, now: number): number {
    // A clock stepping backwards must not drain the bucket.
    const elapsed = Math.max(0, now - bucket.updatedAt);
    return Math.min(this.maxFailures, bucket.tokens + elapsed * this.refillPerMs);
  }

  private decide(tokens: number): ThrottleDecision {
    // A small epsilon absorbs floating-point error in the refill so a bucket that is exactly refilled counts.
    if (tokens >= 1 - 1e-9) return { blocked: false, remaining: Math.floor(tokens + 1e-9) };
    const waitMs = (1 - tokens) / this.refillPerMs;
    return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000 - 1e-9)) };
  }

  private sweep(now: number): void {
    // Full buckets carry no information; dropping them at most once per window keeps the cost amortised.
    if (now - this.lastSweepAt < this.windowMs) return;
    this.lastSweepAt = now;
    this.buckets.deleteWhere((bucket) => this.tokensAt(bucket, now) >= this.maxFailures);
  }
}

/** Normalises an address so the IPv4 and IPv4-mapped IPv6 forms of one sender share a bucket. */
export function normaliseRemoteAddress(address: string): string {
  const trimmed = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(trimmed);
  return mapped ? mapped[1] : trimmed || 'unknown';
}

function throttleKey(sourceId: string, remoteAddress: string): string {
  // NUL cannot occur in a source id or an address, so distinct pairs never share a key.
  return `${sourceId}\u0000${normaliseRemoteAddress(remoteAddress)}`;
}

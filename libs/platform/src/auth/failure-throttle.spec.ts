import { FailureThrottle, normaliseRemoteAddress } from './failure-throttle';

describe('FailureThrottle', () => {
  let now: number;
  let throttle: FailureThrottle;
  const SOURCE = 'src-1';
  const ADDR = '203.0.113.7';

  beforeEach(() => {
    now = 1_700_000_000_000;
    throttle = new FailureThrottle({ maxFailures: 10, windowSeconds: 60, clock: () => now });
  });

  function fail(times: number, source = SOURCE, address = ADDR): void {
    for (let i = 0; i < times; i += 1) throttle.recordFailure(source, address);
  }

  it('allows ten failures, then blocks with a Retry-After of one refill interval', () => {
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: false, remaining: 10 });
    const decisions = Array.from({ length: 10 }, () => throttle.recordFailure(SOURCE, ADDR));
    expect(decisions.slice(0, 9)).toEqual(
      [9, 8, 7, 6, 5, 4, 3, 2, 1].map((remaining) => ({ blocked: false, remaining })),
    );
    expect(decisions[9]).toEqual({ blocked: true, retryAfterSeconds: 6 });
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: true, retryAfterSeconds: 6 });
  });

  it('counts the Retry-After down and unblocks one attempt per refill interval', () => {
    fail(10);
    now += 2_500;
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: true, retryAfterSeconds: 4 });
    now += 3_500;
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: false, remaining: 1 });
    expect(throttle.recordFailure(SOURCE, ADDR)).toEqual({ blocked: true, retryAfterSeconds: 6 });
  });

  it('is fully open again one window after the last failure', () => {
    fail(10);
    now += 60_000;
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: false, remaining: 10 });
  });

  it('blocks only the failing (source, address) pair', () => {
    fail(10);
    expect(throttle.check(SOURCE, ADDR).blocked).toBe(true);
    expect(throttle.check(SOURCE, '198.51.100.20')).toEqual({ blocked: false, remaining: 10 });
    expect(throttle.check('src-2', ADDR)).toEqual({ blocked: false, remaining: 10 });
  });

  it('never counts checks, so a sender that only succeeds is never limited', () => {
    for (let i = 0; i < 1000; i += 1) expect(throttle.check(SOURCE, ADDR).blocked).toBe(false);
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: false, remaining: 10 });
    expect(throttle.trackedKeys).toBe(0);
  });

  it('does not push the unblock time out when failures keep arriving while blocked', () => {
    fail(10);
    now += 3_000;
    fail(5);
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: true, retryAfterSeconds: 6 });
  });

  it('treats the IPv4-mapped IPv6 form as the same sender', () => {
    fail(10, SOURCE, `::ffff:${ADDR}`);
    expect(throttle.check(SOURCE, ADDR).blocked).toBe(true);
  });

  it('does not drain the bucket when the clock steps backwards', () => {
    fail(5);
    now -= 3_600_000;
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: false, remaining: 5 });
  });

  it('keeps at most maxKeys pairs', () => {
    const small = new FailureThrottle({ maxKeys: 3, clock: () => now });
    for (let i = 1; i <= 5; i += 1) small.recordFailure(SOURCE, `10.0.0.${i}`);
    expect(small.trackedKeys).toBe(3);
    // The least recently failing pairs were dropped; the newest are still counted.
    expect(small.check(SOURCE, '10.0.0.5')).toEqual({ blocked: false, remaining: 9 });
    expect(small.check(SOURCE, '10.0.0.1')).toEqual({ blocked: false, remaining: 10 });
  });

  it('forgets pairs whose bucket has refilled', () => {
    fail(3, SOURCE, '10.0.0.1');
    fail(1, SOURCE, '10.0.0.2');
    expect(throttle.trackedKeys).toBe(2);
    now += 61_000;
    fail(1, SOURCE, '10.0.0.3');
    expect(throttle.trackedKeys).toBe(1);
  });

  it('forgets a pair on clear', () => {
    fail(10);
    throttle.clear(SOURCE, ADDR);
    expect(throttle.check(SOURCE, ADDR)).toEqual({ blocked: false, remaining: 10 });
  });

  it('supports other limits', () => {
    const strict = new FailureThrottle({ maxFailures: 3, windowSeconds: 90, clock: () => now });
    for (let i = 0; i < 3; i += 1) strict.recordFailure(SOURCE, ADDR);
    expect(strict.check(SOURCE, ADDR)).toEqual({ blocked: true, retryAfterSeconds: 30 });
  });

  it('rejects nonsensical limits', () => {
    expect(() => new FailureThrottle({ maxFailures: 0 })).toThrow(RangeError);
    expect(() => new FailureThrottle({ windowSeconds: -1 })).toThrow(RangeError);
    expect(() => new FailureThrottle({ maxKeys: 0 })).toThrow(RangeError);
  });
});

describe('normaliseRemoteAddress', () => {
  it.each([
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['  192.0.2.1 ', '192.0.2.1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['', 'unknown'],
  ])('%j → %j', (input, expected) => {
    expect(normaliseRemoteAddress(input)).toBe(expected);
  });
});

import { performance } from 'node:perf_hooks';
import { Pool, PoolClient } from 'pg';

/**
 * Where a database-bound loop spends its time: wraps a pool so every query of its clients is
 * timed (from the call to the result being parsed: server time plus round trip plus row
 * parsing) and filed under a label from its SQL text. What is left of the wall time is the
 * caller's own JavaScript (and waiting for a free connection).
 */

export type QueryTimes = Record<string, { ms: number; count: number }>;

export class QueryTimer {
  readonly times: QueryTimes = {};
  private readonly wrapped = new WeakSet<PoolClient>();

  constructor(private readonly labels: ReadonlyArray<readonly [RegExp, string]>) {}

  /** Instruments `pool` (its connect and query); returns it for chaining. */
  instrument(pool: Pool): Pool {
    const connect = pool.connect.bind(pool) as () => Promise<PoolClient>;
    const timedConnect = async (): Promise<PoolClient> => {
      const client = await connect();
      if (!this.wrapped.has(client)) {
        this.wrapped.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
          const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
          const started = performance.now();
          const result = query(...args);
          if (result instanceof Promise) {
            return result.finally(() => this.add(text, performance.now() - started));
          }
          return result;
        };
      }
      return client;
    };
    // pool.query() itself calls connect with a callback; keep both forms working.
    type Callback = (err: Error | undefined, client?: PoolClient, done?: (e?: Error) => void) => void;
    (pool as unknown as { connect: (cb?: Callback) => Promise<PoolClient> | undefined }).connect = (cb?: Callback) => {
      if (!cb) return timedConnect();
      timedConnect().then(
        (client) => cb(undefined, client, (e?: Error) => client.release(e)),
        (e: Error) => cb(e),
      );
      return undefined;
    };
    return pool;
  }

  private add(text: string, ms: number): void {
    const label = this.labels.find(([re]) => re.test(text))?.[1] ?? 'other';
    const t = (this.times[label] ??= { ms: 0, count: 0 });
    t.ms += ms;
    t.count++;
  }

  /** Total milliseconds in queries. */
  get totalMs(): number {
    return Object.values(this.times).reduce((s, t) => s + t.ms, 0);
  }
}

/** Adds query times up, e.g. of several runner processes. */
export function mergeTimes(all: readonly QueryTimes[]): QueryTimes {
  const out: QueryTimes = {};
  for (const times of all) {
    for (const [label, t] of Object.entries(times)) {
      const o = (out[label] ??= { ms: 0, count: 0 });
      o.ms += t.ms;
      o.count += t.count;
    }
  }
  return out;
}

/** "label 41% (1,234 × 2.1 ms)" for each label, largest first, as shares of `wallMs`. */
export function describeTimes(times: QueryTimes, wallMs: number): string {
  const inQueries = Object.values(times).reduce((s, t) => s + t.ms, 0);
  const parts = Object.entries(times)
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(
      ([label, t]) =>
        `${label} ${Math.round((t.ms / wallMs) * 100)}% (${t.count.toLocaleString('en-US')} × ${(t.ms / t.count).toFixed(1)} ms)`,
    );
  parts.push(`outside queries (JavaScript) ${Math.round(((wallMs - inQueries) / wallMs) * 100)}%`);
  return parts.join(', ');
}

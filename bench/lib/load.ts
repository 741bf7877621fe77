import { BenchChild, startChild } from './child';
import type { CallTemplates } from './webhook-bodies';

/** Where requests go; requests rotate over the targets. */
export interface LoadTarget {
  path: string;
  headers: Record<string, string>;
}

/** One HTTP load on loopback, bounded by a request count (closed) or a duration (paced). */
export interface LoadSpec {
  /** Base URL, `http://127.0.0.1:<port>`: loopback only. */
  url: string;
  targets: LoadTarget[];
  templates: CallTemplates;
  /** Makes this load's session ids (and so its events) unique; never reuse one against a source. */
  runId: number;
  eventsPerRequest: number;
  /** `connections` requests in flight at all times until `requests` have been answered. */
  closed?: { connections: number; requests: number };
  /**
   * `requestsPerSecond`, evenly spaced, for `seconds`, with at most `maxInFlight` unanswered (one
   * connection each); a request due while that many are unanswered is skipped and counted.
   * `warmupSeconds` of the same stream come first, on the same connections, tallied apart in
   * `warmup` (load-child.ts says why).
   */
  paced?: { requestsPerSecond: number; seconds: number; maxInFlight: number; warmupSeconds?: number };
}

export interface LoadResult {
  /** Requests sent. */
  requests: number;
  /** Paced loads: requests due but not sent because maxInFlight were unanswered (server saturated). */
  skipped: number;
  /** Answered 200. */
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** Sums of the 200 answers' `accepted` and `duplicates`. */
  accepted: number;
  duplicates: number;
  /** Events put into request bodies. */
  eventsSent: number;
  /** From the first request to the last answer. */
  seconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
  /** Paced loads with a warm-up: the warm-up's own figures; the rest of the result leaves it out. */
  warmup?: LoadResult;
}

/** The load generator: a process of its own, so it never competes for the server's event loop. */
export class LoadGenerator {
  private constructor(private readonly child: BenchChild) {}

  static start(): LoadGenerator {
    return new LoadGenerator(startChild('load-child'));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    for (const u of [spec.url]) {
      const host = new URL(u).hostname;
      if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== 'localhost' && host !== '[::1]') {
        throw new Error(`load targets must be on loopback, not ${host}`);
      }
    }
    return this.child.call<LoadResult>('run', spec);
  }

  close(): Promise<void> {
    return this.child.close();
  }
}

/** Events acknowledged as stored, a paced load's warm-up included. */
export const acknowledged = (r: LoadResult): number => r.accepted + (r.warmup?.accepted ?? 0);

/** Events per second acknowledged as stored (a paced load's warm-up left out). */
export const eventsPerSecond = (r: LoadResult): number => r.accepted / r.seconds;

/** Throws unless every request was answered 200 and every event sent was stored exactly once. */
export function assertClean(label: string, r: LoadResult): void {
  if (r.warmup) assertClean(`${label}, warm-up`, r.warmup);
  const problems: string[] = [];
  if (r.errors) problems.push(`${r.errors} connection errors (${r.timeouts} timeouts)`);
  if (r.non2xx) problems.push(`${r.non2xx} answers other than 200: ${JSON.stringify(r.statusCodes)}`);
  if (r.duplicates) problems.push(`${r.duplicates} events answered as duplicates`);
  if (r.accepted !== r.eventsSent) problems.push(`${r.accepted} events acknowledged of ${r.eventsSent} sent`);
  // Skipped requests are not an error here: callers report them as the server falling behind.
  if (problems.length) throw new Error(`${label}: ${problems.join('; ')}`);
}

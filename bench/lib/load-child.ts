import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { serveParent } from './child';
import type { LoadResult, LoadSpec } from './load';
import { BodyFactory } from './webhook-bodies';

/**
 * The load generator process (see load.ts). Closed loop: autocannon with a fixed number of
 * connections and a fixed number of requests, so every request sent is also answered and the
 * server's acknowledgements can be checked against the store. Open loop: requests evenly paced
 * at a fixed rate by this process, latency counted from each request's scheduled send time.
 */

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

class Tally {
  private latencies = new Float64Array(1 << 16);
  count = 0;
  ok = 0;
  accepted = 0;
  duplicates = 0;
  readonly statusCodes: Record<string, number> = {};
  lastAt = 0;

  response(status: number, body: string, latencyMs: number): void {
    if (this.count === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.count++] = latencyMs;
    this.statusCodes[status] = (this.statusCodes[status] ?? 0) + 1;
    this.lastAt = performance.now();
    if (status !== 200) return;
    this.ok++;
    const r = JSON.parse(body) as { accepted: number; duplicates: number };
    this.accepted += r.accepted;
    this.duplicates += r.duplicates;
  }

  result(extra: {
    requests: number;
    skipped?: number;
    errors: number;
    timeouts: number;
    eventsSent: number;
    seconds: number;
  }): LoadResult {
    const sorted = this.latencies.slice(0, this.count).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      skipped: 0,
      ...extra,
      ok: this.ok,
      non2xx: this.count - this.ok,
      accepted: this.accepted,
      duplicates: this.duplicates,
      statusCodes: this.statusCodes,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
        mean: sorted.length ? sum / sorted.length : Number.NaN,
      },
    };
  }
}

function closedLoop(spec: LoadSpec, closed: NonNullable<LoadSpec['closed']>): Promise<LoadResult> {
  const factory = new BodyFactory(spec.templates, spec.runId);
  const tally = new Tally();
  let n = 0;
  // autocannon hands the body to the request's onResponse and, synchronously right after, the
  // timing to the instance's 'response' event: the body is kept for that one event.
  let body = '';
  const start = performance.now();
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: closed.connections,
        amount: closed.requests,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const target = spec.targets[n++ % spec.targets.length];
              req.path = target.path;
              req.headers = { 'content-type': 'application/json', ...target.headers };
              req.body = factory.body(spec.eventsPerRequest);
              return req;
            },
            onResponse: (_status, responseBody) => {
              body = responseBody;
            },
          },
        ],
      },
      (error: unknown, result) => {
        if (error) {
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
          return;
        }
        resolve(
          tally.result({
            requests: result.requests.sent,
            errors: result.errors,
            timeouts: result.timeouts,
            eventsSent: factory.events,
            // autocannon reports at its next 1-second tick; the last answer is the real end.
            seconds: (tally.lastAt - start) / 1000,
          }),
        );
      },
    );
    instance.on('response', (_client, status, _bytes, latency) => {
      tally.response(status, body, latency);
      body = '';
    });
  });
}

/**
 * Evenly paced open loop: request i is due at start + i / rate and sent as soon as the timer
 * allows; its latency runs from when it was due, so a slow server cannot hide behind a sender
 * that waits for it (no coordinated omission). autocannon's overallRate is not used because it
 * lets each connection send its whole per-second quota back to back at the start of every
 * second (lib/httpClient.js, reqsMadeThisSecond): a burst each second, not a steady rate.
 *
 * The first `warmupSeconds` of the same steady stream are tallied apart. A cold start is a
 * cascade: this process's HTTP client is not yet compiled, so the first answers come late, so
 * requests pile up, so each needs a new connection, whose set-up delays the next ones, until
 * `maxInFlight` connections are open. Measured against a bare Node server answering at once:
 * p99 250 ms over the first 2 s, 3.5 ms over the 6 s after them on the same connections. A PBX
 * sending 5,000 events/s keeps its connections open; the steady stream is what is measured.
 */
function openLoop(spec: LoadSpec, paced: NonNullable<LoadSpec['paced']>): Promise<LoadResult> {
  const factory = new BodyFactory(spec.templates, spec.runId);
  const agent = new http.Agent({ keepAlive: true, maxSockets: paced.maxInFlight });
  const url = new URL(spec.url);
  const warmupTotal = Math.round(paced.requestsPerSecond * (paced.warmupSeconds ?? 0));
  const total = warmupTotal + Math.round(paced.requestsPerSecond * paced.seconds);
  const intervalMs = 1000 / paced.requestsPerSecond;
  const start = performance.now() + 10;
  const measuredStart = start + warmupTotal * intervalMs;
  const parts = [start, measuredStart].map((from) => ({
    from,
    tally: new Tally(),
    requests: 0,
    skipped: 0,
    errors: 0,
    eventsSent: 0,
  }));
  const partOf = (i: number) => parts[i < warmupTotal ? 0 : 1];
  let sent = 0;
  let answered = 0;
  let inFlight = 0;
  let finished = false;
  return new Promise<LoadResult>((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      agent.destroy();
      const [warmup, measured] = parts.map((p) =>
        p.tally.result({
          requests: p.requests,
          skipped: p.skipped,
          errors: p.errors,
          timeouts: 0,
          eventsSent: p.eventsSent,
          seconds: (p.tally.lastAt - p.from) / 1000,
        }),
      );
      resolve(warmupTotal ? { ...measured, warmup } : measured);
    };
    const settled = () => {
      inFlight--;
      if (++answered === total) finish();
    };
    const send = (i: number) => {
      const part = partOf(i);
      const due = start + i * intervalMs;
      const target = spec.targets[i % spec.targets.length];
      const eventsBefore = factory.events;
      const body = factory.body(spec.eventsPerRequest);
      part.eventsSent += factory.events - eventsBefore;
      part.requests++;
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: target.path,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...target.headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            part.tally.response(res.statusCode ?? 0, text, performance.now() - due);
            settled();
          });
        },
      );
      req.on('error', () => {
        part.errors++;
        settled();
      });
      req.end(body);
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      while (sent < due) {
        // A server that cannot keep up would queue requests without bound and stretch the run:
        // past maxInFlight a due request is not sent but counted, which keeps the run bounded.
        if (inFlight >= paced.maxInFlight) {
          partOf(sent).skipped++;
          answered++;
        } else {
          inFlight++;
          send(sent);
        }
        sent++;
      }
      if (answered === total) {
        finish();
        return;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, start + sent * intervalMs - performance.now())));
    };
    setTimeout(tick, 10);
  });
}

serveParent({
  run: (spec: LoadSpec) => {
    if (spec.closed) return closedLoop(spec, spec.closed);
    if (spec.paced) return openLoop(spec, spec.paced);
    throw new Error('a load needs closed or paced');
  },
});

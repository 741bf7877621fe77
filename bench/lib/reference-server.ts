import { randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import { Pool } from 'pg';
import { EventStore } from '@app/event-store/event-store';
import type { AppendResult, NewEvent } from '@app/event-store/event-store.types';
import { splitDelivery } from '@app/ingestion/delivery';
import { getVendorAdapter } from '@app/vendors';

/**
 * The reference of the ingest benchmark: a bare Node `http` server, no framework, doing the same
 * durable work per webhook — read the body, split it into events (the product's splitDelivery),
 * describe each with the PortSIP adapter (dedup key, time, call key), build the rows as
 * ingestion's describeEvent does and store them with `EventStore.append` (the same single INSERT
 * into event_dedup and raw_events), and
 * answer `{"accepted","duplicates"}` only after the commit. Concurrent requests are batched the
 * simple way: whatever is waiting when one of 4 appends is free goes into the next (up to 500
 * events), without a timer. Sources are a fixed in-memory map; a token source compares
 * X-Pbx-Token. What it leaves out is what the product adds: Nest and Fastify, source lookup and
 * authentication services, failure throttling, metrics, the projection doorbell.
 */

export interface ReferenceSource {
  id: string;
  tenantId: string;
  /** Expected X-Pbx-Token, or null for no authentication. */
  token: string | null;
}

const MAX_EVENTS = 500;
const MAX_IN_FLIGHT = 4;
const BODY_LIMIT = 1024 * 1024;

interface Waiter {
  events: NewEvent[];
  resolve: (r: { accepted: number; duplicates: number }) => void;
  reject: (e: unknown) => void;
}

class SimpleBatcher {
  private readonly queue: Waiter[] = [];
  private inFlight = 0;

  constructor(private readonly store: EventStore) {}

  submit(events: NewEvent[]): Promise<{ accepted: number; duplicates: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const group: Waiter[] = [this.queue.shift()!];
      let count = group[0].events.length;
      while (this.queue.length > 0 && count + this.queue[0].events.length <= MAX_EVENTS) {
        const w = this.queue.shift()!;
        group.push(w);
        count += w.events.length;
      }
      this.inFlight++;
      void this.commit(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async commit(group: Waiter[]): Promise<void> {
    let result: AppendResult;
    try {
      result = await this.store.append(group.flatMap((w) => w.events));
    } catch (error) {
      for (const w of group) w.reject(error);
      return;
    }
    let offset = 0;
    for (const w of group) {
      const mine = result.outcomes.slice(offset, offset + w.events.length);
      offset += w.events.length;
      const accepted = mine.filter((o) => o.status === 'stored').length;
      w.resolve({ accepted, duplicates: mine.length - accepted });
    }
  }
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function tokenMatches(sent: string | string[] | undefined, expected: Buffer): boolean {
  if (typeof sent !== 'string') return false;
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Starts the reference server on a loopback port. */
export async function startReferenceServer(
  pool: Pool,
  sources: readonly ReferenceSource[],
): Promise<{ port: number; close: () => Promise<void> }> {
  const byId = new Map(sources.map((s) => [s.id, { ...s, token: s.token === null ? null : Buffer.from(s.token) }]));
  const batcher = new SimpleBatcher(new EventStore(pool));
  const adapter = getVendorAdapter('portsip');

  const server = http.createServer((req, res) => {
    const source =
      req.method === 'POST' && req.url?.startsWith('/webhooks/') ? byId.get(req.url.slice('/webhooks/'.length)) : null;
    if (!source) {
      req.resume();
      answer(res, 404, { error: 'not found' });
      return;
    }
    if (source.token && !tokenMatches(req.headers['x-pbx-token'], source.token)) {
      req.resume();
      answer(res, 401, { error: 'unauthorized' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > BODY_LIMIT) {
        answer(res, 413, { error: 'body too large' });
        return;
      }
      let events: NewEvent[];
      try {
        const deliveryId = randomUUID();
        events = splitDelivery(Buffer.concat(chunks, size)).map(({ value, raw }) => {
          const p = adapter.parse(value, { timezone: 'UTC' });
          return {
            tenantId: source.tenantId,
            sourceId: source.id,
            vendor: 'portsip',
            type: p.type,
            recognized: p.recognized,
            problem: p.problems.length ? p.problems.join('; ') : null,
            dedupKey: p.dedupKey,
            occurredAt: p.occurredAt,
            callKey: p.callKey,
            sessionKey: p.sessionKey,
            extension: p.extension,
            queue: p.queue,
            deliveryId,
            raw,
          };
        });
      } catch (error) {
        answer(res, 400, { error: 'malformed delivery', reason: (error as Error).message });
        return;
      }
      batcher.submit(events).then(
        (r) => answer(res, 200, r),
        () => answer(res, 503, { error: 'storage unavailable' }),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

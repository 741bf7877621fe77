import { Event } from '@event-driven-io/emmett';
import { PostgresEventStore, getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { Pool } from 'pg';
import { EventStore, NewEvent } from '@app/event-store';
import { Benchmark, BenchContext, BenchmarkOutput, figure } from './lib/benchmark';
import { PortsipEventGenerator } from './lib/portsip-events';
import { chunk, forEachConcurrently, timed } from './lib/timing';

const BATCH = 100;
const CONCURRENCY = 4;
const EVENTS = 100_000;
const WARMUP = 5_000;

/** One of our events as Emmett takes it: the payload as data, our describing columns as metadata. */
type EmmettEvent = Event<string, Record<string, unknown>, Record<string, unknown>>;

function toEmmett(e: NewEvent): EmmettEvent {
  return {
    type: e.type,
    data: JSON.parse(e.raw.toString('utf8')) as Record<string, unknown>,
    metadata: {
      tenantId: e.tenantId,
      sourceId: e.sourceId,
      vendor: e.vendor,
      dedupKey: e.dedupKey,
      occurredAt: e.occurredAt?.toISOString() ?? null,
      callKey: e.callKey ?? null,
      sessionKey: e.sessionKey ?? null,
      extension: e.extension ?? null,
      queue: e.queue ?? null,
      deliveryId: e.deliveryId ?? null,
    },
  };
}

interface Pass {
  events: number;
  seconds: number;
}
const rate = (p: Pass) => p.events / p.seconds;
const add = (a: Pass, b: Pass): Pass => ({ events: a.events + b.events, seconds: a.seconds + b.seconds });

async function oursPass(store: EventStore, events: readonly NewEvent[]): Promise<Pass> {
  let stored = 0;
  const { seconds } = await timed(() =>
    forEachConcurrently(chunk(events, BATCH), CONCURRENCY, async (batch) => {
      const { accepted } = await store.append(batch);
      stored += accepted;
    }),
  );
  if (stored !== events.length) throw new Error(`append stored ${stored} of ${events.length} events`);
  return { events: events.length, seconds };
}

let streams = 0;

async function emmettPass(store: PostgresEventStore, events: readonly EmmettEvent[]): Promise<Pass> {
  let stored = 0;
  const { seconds } = await timed(() =>
    forEachConcurrently(chunk(events, BATCH), CONCURRENCY, async (batch) => {
      // One new stream per call, holding that call's events.
      const r = await store.appendToStream(`bench-${++streams}`, batch);
      if (r.nextExpectedStreamVersion !== BigInt(batch.length)) throw new Error('Emmett appended a partial batch');
      stored += batch.length;
    }),
  );
  if (stored !== events.length) throw new Error(`Emmett stored ${stored} of ${events.length} events`);
  return { events: events.length, seconds };
}

async function run(ctx: BenchContext): Promise<BenchmarkOutput> {
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: CONCURRENCY, application_name: 'cdr-bench' });
  pool.on('error', (e) => ctx.log(`idle connection error: ${e.message}`));
  const ours = new EventStore(pool);
  // Emmett's own pool (node-postgres through its dumbo layer); it creates its tables on first use.
  const emmett = getPostgreSQLEventStore(ctx.databaseUrl);
  const gen = new PortsipEventGenerator({ tenants: 50, sourcesPerTenant: 2, seed: 31_337 });
  try {
    const warm = gen.next(WARMUP);
    ctx.log(`warming up with ${WARMUP} events each (Emmett creates its schema)`);
    await oursPass(ours, warm);
    await emmettPass(emmett, warm.map(toEmmett));

    const events = gen.next(EVENTS);
    // Both sides get the events in the shape their API takes, prepared before the clock starts.
    const emmettEvents = events.map(toEmmett);
    const half = EVENTS / 2;
    await pool.query('CHECKPOINT').catch(() => undefined);
    ctx.log(`measuring ${EVENTS} events each way, batches of ${BATCH}, ${CONCURRENCY} concurrent`);
    // A-B-B-A: both sides' tables grow, and PostgreSQL's WAL and checkpoints are shared.
    let a = await oursPass(ours, events.slice(0, half));
    let b = await emmettPass(emmett, emmettEvents.slice(0, half));
    b = add(b, await emmettPass(emmett, emmettEvents.slice(half)));
    a = add(a, await oursPass(ours, events.slice(half)));
    ctx.log(`ours ${Math.round(rate(a))} events/s, Emmett ${Math.round(rate(b))} events/s`);

    const { rows } = await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM emt_messages');
    if (Number(rows[0].n) !== EVENTS + WARMUP) throw new Error(`emt_messages holds ${rows[0].n} events`);
    const rawBytes = events.reduce((s, e) => s + e.raw.length, 0);
    return {
      figures: [
        figure(`append, batches of ${BATCH}, ${CONCURRENCY} concurrent`, 'events/s', rate(a), {
          name: `Emmett appendToStream, one new stream per call of ${BATCH} events, ${CONCURRENCY} concurrent`,
          value: rate(b),
        }),
      ],
      notes: [
        `${EVENTS.toLocaleString('en-US')} PortSIP-like call events per side (after ${WARMUP.toLocaleString('en-US')} ` +
          `warm-up), mean raw payload ${Math.round(rawBytes / EVENTS)} bytes, the same events both ways, A-B-B-A`,
        `@event-driven-io/emmett-postgresql 0.42 with its default options (it pools connections itself)`,
      ],
    };
  } finally {
    await emmett.close();
    await pool.end();
  }
}

export const emmettBenchmark: Benchmark = {
  name: 'emmett',
  title: 'Event store append: ours vs Emmett',
  description: `
The same events appended in batches of 100 by 4 concurrent writers through our
\`EventStore.append\` and through [Emmett](https://event-driven-io.github.io/emmett/)'s PostgreSQL
event store (\`getPostgreSQLEventStore(connectionString).appendToStream(...)\`), a widely used
TypeScript event store, in the same database. Each Emmett call appends its 100 events to a new
stream (Emmett's unit of consistency; our store has none, so this is its cheapest shape).
Events are the PortSIP-like call events of the append benchmark; Emmett gets each payload as
its event data and our describing columns (tenant, source, dedup key, times, keys) as metadata.

The work differs and the ratio should be read with that in mind. Ours, per batch: one
statement that claims every dedup key in \`event_dedup\` and inserts into the partitioned
\`raw_events\` (the exact bytes plus a jsonb copy, six indexes), no explicit transaction. Emmett,
per batch: BEGIN, a PL/pgSQL function that creates the stream row and inserts the events (one
jsonb for data and one for metadata, its primary key), COMMIT — with the values inlined into
the SQL text. Emmett does no deduplication, so it is not exactly-once for redelivered webhooks.
Each side loads half the events early and half late (A-B-B-A).`,
  run,
};

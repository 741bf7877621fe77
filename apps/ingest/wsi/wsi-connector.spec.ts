import { FAKE_WSI_AUTH_ERROR, FakeWsiServer } from '../../../test/support/fake-wsi-server';
import { WsiConnector, WsiConnectorOptions } from './wsi-connector';

jest.setTimeout(15_000);

type LogLine = { level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string };

/** Polls until `cond` holds; fails after `timeoutMs`. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Negative assertions ("nothing happens") need an observation window; this polls through it and
 * fails as soon as the condition breaks, rather than sleeping and checking once.
 */
async function holdsFor(cond: () => boolean, what: string, windowMs: number): Promise<void> {
  const end = Date.now() + windowMs;
  while (Date.now() < end) {
    if (!cond()) throw new Error(`expected ${what} to keep holding`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!cond()) throw new Error(`expected ${what} to keep holding`);
}

const CREDS = { username: 'tenantadmin', password: 'A1s2d3f4', domain: 'test.io' };

describe('WsiConnector', () => {
  let server: FakeWsiServer;
  let logs: LogLine[];
  const connectors: WsiConnector[] = [];

  const logger = {
    info: (obj: object, msg: string) => logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg: string) => logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg: string) => logs.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };

  function make(overrides: Partial<WsiConnectorOptions> = {}): {
    connector: WsiConnector;
    delivered: Buffer[];
  } {
    const delivered: Buffer[] = [];
    const connector = new WsiConnector({
      sourceId: 'src-wsi-1',
      url: server.url,
      ...CREDS,
      topics: ['cdr_events'],
      deliver: async (raw) => {
        delivered.push(raw);
      },
      logger,
      pingIntervalMs: 1_000,
      backoff: { initialMs: 20, maxMs: 100 },
      authFailureBackoffMs: 150,
      random: () => 0.5,
      ...overrides,
    });
    connectors.push(connector);
    return { connector, delivered };
  }

  beforeEach(async () => {
    logs = [];
    server = await FakeWsiServer.start({ credentials: { ...CREDS, extensionNumber: '101' } });
  });

  afterEach(async () => {
    await Promise.all(connectors.splice(0).map((c) => c.stop()));
    await server.close();
  });

  it('authenticates, subscribes with topics and filters, and delivers pushed frames as exact bytes in order', async () => {
    const connected = jest.fn();
    const onMessage = jest.fn();
    const { connector, delivered } = make({
      topics: ['cdr_events', 'queue_events', 'extension_events'],
      filters: { extensions: ['101', '102'], queues: ['8001'], tenants: [] },
      hooks: { onConnected: connected, onMessage },
    });
    connector.start();
    await waitFor(() => server.subscribeCommands.length === 1, 'subscribe');
    expect(connector.state).toBe('subscribed');
    expect(connected).toHaveBeenCalledTimes(1);

    expect(server.authCommands).toEqual([{ command: 'auth', id: expect.any(String), ...CREDS }]);
    // Empty filter arrays are omitted rather than sent as "subscribe to nothing".
    expect(server.subscribeCommands[0].command).toEqual({
      command: 'subscribe',
      topics: ['cdr_events', 'queue_events', 'extension_events'],
      extensions: ['101', '102'],
      queues: ['8001'],
    });

    const frames: Array<string | Buffer> = [
      '{ "event_type" : "call_start",   "call_id":"c1" }',
      // Invalid JSON straight from the doc (full-width comma): still stored byte for byte.
      '{"event_type":"queue_status","queue_id":"677046776364007424","waiting_list":[{"position":"2"}，"agents":[]}',
      'not json at all',
      '[{"event_type":"call_cdr","call_id":"c1"}]',
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      '{"event_type":"call_cdr","call_id":"c1","note":"Jürgen 🚀"}',
    ];
    server.pushRaw(frames[0]);
    server.pushRaw(frames[1]);
    // A command reply interleaved with events is not an event and must not reach the store.
    server.sendToAll('{"command":"unsubscribe","id":"9","status":0}');
    server.pushRaw(frames[2]);
    server.pushRaw(frames[3]);
    server.pushRaw(frames[4], true);
    server.pushRaw(frames[5]);

    await waitFor(() => delivered.length === frames.length, 'all frames delivered');
    expect(delivered).toEqual(frames.map((f) => (Buffer.isBuffer(f) ? f : Buffer.from(f, 'utf8'))));
    expect(onMessage).toHaveBeenCalledTimes(frames.length);
  });

  it('authenticates with extension_number + password + domain', async () => {
    const { connector } = make({ username: undefined, extensionNumber: '101' });
    connector.start();
    await waitFor(() => server.subscribeCommands.length === 1, 'subscribe');
    expect(server.authCommands[0]).toEqual({
      command: 'auth',
      id: expect.any(String),
      extension_number: '101',
      password: CREDS.password,
      domain: CREDS.domain,
    });
  });

  it('reconnects, re-authenticates and re-subscribes after the server drops the connection mid-stream', async () => {
    const disconnected = jest.fn();
    const { connector, delivered } = make({
      topics: ['queue_events'],
      filters: { queues: ['8001'] },
      hooks: { onDisconnected: disconnected },
    });
    connector.start();
    await waitFor(() => server.subscribedClients === 1, 'first subscription');

    const before = ['{"event_type":"call_start","n":1}', '{"event_type":"call_start","n":2}'];
    for (const f of before) server.pushRaw(f);
    await waitFor(() => delivered.length === 2, 'events before the drop');
    // Pushed and killed in the same tick: some of these may die in the socket buffer, like
    // real events sent during an outage, but whatever arrives must keep its order.
    const inTheGap = ['{"event_type":"call_start","n":3}', '{"event_type":"call_start","n":4}'];
    for (const f of inTheGap) server.pushRaw(f);
    server.dropAll();

    await waitFor(() => server.subscribeCommands.length === 2 && server.subscribedClients === 1, 'second subscription');
    expect(server.connectionCount).toBe(2);
    expect(server.authCommands).toHaveLength(2);
    expect(server.subscribeCommands[1].command).toEqual(server.subscribeCommands[0].command);
    expect(server.subscribeCommands[1].connection).toBe(2);
    expect(disconnected).toHaveBeenCalledTimes(1);
    expect(disconnected.mock.calls[0][0]).toMatch(/closed by server/);
    expect(logs.some((l) => l.level === 'warn' && l.msg === 'WSI connection lost; reconnecting')).toBe(true);

    const after = ['{"event_type":"call_cdr","n":5}', '{"event_type":"call_cdr","n":6}'];
    for (const f of after) server.pushRaw(f);
    await waitFor(() => delivered.slice(-2).map(String).join() === after.join(), 'events after the drop');

    const got = delivered.map(String);
    const gapPart = got.slice(2, -2);
    expect(got.slice(0, 2)).toEqual(before);
    expect(inTheGap.slice(0, gapPart.length)).toEqual(gapPart);
    expect(connector.state).toBe('subscribed');
  });

  it('on refused credentials logs one line per attempt, calls onAuthFailure and waits the auth-failure backoff', async () => {
    server.refuseCredentials(true);
    const failures: Array<{ at: number; error: string }> = [];
    const { connector } = make({
      authFailureBackoffMs: 150,
      hooks: { onAuthFailure: (error) => failures.push({ at: Date.now(), error }) },
    });
    connector.start();
    await waitFor(() => failures.length >= 3, 'three refused attempts');

    // Snapshot before the 4th attempt can possibly start (it is >= 150 ms away).
    const attempts = server.authCommands.length;
    const lines = [...logs];
    expect(attempts).toBe(3);
    expect(failures.map((f) => f.error)).toEqual(Array(3).fill(FAKE_WSI_AUTH_ERROR));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.level).toBe('error');
      expect(line.msg).toBe('WSI authentication refused');
      expect(line.obj).toMatchObject({ sourceId: 'src-wsi-1', error: FAKE_WSI_AUTH_ERROR });
    }
    // No hot loop: consecutive attempts are at least the auth-failure backoff apart, so a
    // window of W ms holds at most 1 + W / 150 attempts.
    expect(failures[1].at - failures[0].at).toBeGreaterThanOrEqual(145);
    expect(failures[2].at - failures[1].at).toBeGreaterThanOrEqual(145);
    expect(['backoff', 'connecting', 'authenticating']).toContain(connector.state);

    server.refuseCredentials(false);
    await waitFor(() => server.subscribedClients === 1, 'subscription after credentials fixed');
    expect(connector.state).toBe('subscribed');
  });

  it('keeps a message whose delivery fails and retries it, preserving order and delivering once', async () => {
    const deliverErrors: unknown[] = [];
    const committed: string[] = [];
    const calls: string[] = [];
    const { connector } = make({
      deliver: async (raw) => {
        calls.push(raw.toString());
        if (calls.length <= 2) throw new Error('database down');
        committed.push(raw.toString());
      },
      hooks: { onDeliverError: (err) => deliverErrors.push(err) },
    });
    connector.start();
    await waitFor(() => server.subscribedClients === 1, 'subscription');

    const frames = ['{"event_type":"call_start","n":1}', '{"event_type":"call_cdr","n":2}'];
    for (const f of frames) server.pushRaw(f);
    await waitFor(() => committed.length === 2, 'both committed');

    expect(committed).toEqual(frames);
    expect(calls).toEqual([frames[0], frames[0], frames[0], frames[1]]);
    expect(deliverErrors).toHaveLength(2);
    expect(logs.filter((l) => l.msg === 'WSI deliver failed; message kept and retried')).toHaveLength(2);
    expect(connector.pendingDeliveries).toBe(0);
  });

  it('bounds the buffer during a store outage by dropping the oldest waiting message, with an error', async () => {
    let storeUp = false;
    const committed: string[] = [];
    const deliverErrors: unknown[] = [];
    const { connector } = make({
      maxBufferedMessages: 3,
      deliver: async (raw) => {
        if (!storeUp) throw new Error('database down');
        committed.push(raw.toString());
      },
      hooks: { onDeliverError: (err) => deliverErrors.push(err) },
    });
    connector.start();
    await waitFor(() => server.subscribedClients === 1, 'subscription');

    const frames = [1, 2, 3, 4, 5].map((n) => `{"event_type":"call_start","n":${n}}`);
    for (const f of frames) server.pushRaw(f);
    const overflowErrors = (): unknown[] =>
      deliverErrors.filter((e) => e instanceof Error && /buffer full/.test(e.message));
    await waitFor(() => overflowErrors().length === 2, 'two overflow drops');
    expect(connector.pendingDeliveries).toBe(3);
    expect(logs.filter((l) => l.level === 'error' && /buffer full/.test(l.msg))).toHaveLength(2);

    storeUp = true;
    await waitFor(() => committed.length === 3, 'buffer drained');
    // The in-flight message is kept; 2 and 3 were the oldest waiting ones.
    expect(committed).toEqual([frames[0], frames[3], frames[4]]);
  });

  it('stop() closes with 1000, drains pending deliveries first and never reconnects', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const committed: string[] = [];
    const disconnected = jest.fn();
    const { connector } = make({
      deliver: async (raw) => {
        await gate;
        committed.push(raw.toString());
      },
      hooks: { onDisconnected: disconnected },
    });
    connector.start();
    await waitFor(() => server.subscribedClients === 1, 'subscription');
    server.pushRaw('{"event_type":"call_cdr","n":1}');
    await waitFor(() => connector.pendingDeliveries === 1, 'delivery in flight');

    let stopped = false;
    const stopping = connector.stop().then(() => (stopped = true));
    expect(connector.state).toBe('stopped');
    await waitFor(() => server.clientCloseCodes.length === 1, 'client close frame');
    expect(server.clientCloseCodes).toEqual([1000]);
    await waitFor(() => disconnected.mock.calls.length === 1, 'onDisconnected');
    expect(disconnected).toHaveBeenCalledWith('stopped');
    expect(stopped).toBe(false);

    release();
    await stopping;
    expect(committed).toEqual(['{"event_type":"call_cdr","n":1}']);
    expect(logs.some((l) => l.level === 'error')).toBe(false);

    // Backoff is at most 100 ms here, so a reconnect would show up well inside this window.
    await holdsFor(() => server.connectionCount === 1 && server.openConnections === 0, 'no reconnect', 400);
    expect(connector.state).toBe('stopped');
  });

  it('stop() is bounded when the store never commits, and reports what was lost', async () => {
    const { connector } = make({
      stopTimeoutMs: 200,
      deliver: () => new Promise<void>(() => undefined),
    });
    connector.start();
    await waitFor(() => server.subscribedClients === 1, 'subscription');
    server.pushRaw('{"event_type":"call_cdr","n":1}');
    server.pushRaw('{"event_type":"call_cdr","n":2}');
    await waitFor(() => connector.pendingDeliveries === 2, 'two pending');

    const started = Date.now();
    await connector.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    const lost = logs.find((l) => l.level === 'error' && /lost/.test(l.msg));
    expect(lost?.obj).toMatchObject({ sourceId: 'src-wsi-1', lost: 2 });
  });

  it('terminates and reconnects when pongs stop coming', async () => {
    const disconnected = jest.fn();
    const { connector } = make({ pingIntervalMs: 50, hooks: { onDisconnected: disconnected } });
    connector.start();
    await waitFor(() => server.subscribedClients === 1, 'subscription');
    // Answered pings keep a quiet connection alive across several ping periods.
    await holdsFor(() => server.connectionCount === 1, 'connection kept while pongs flow', 250);

    server.answerPings(false);
    await waitFor(() => disconnected.mock.calls.length >= 1, 'pong timeout');
    expect(disconnected.mock.calls[0][0]).toBe('pong timeout');

    server.answerPings(true);
    await waitFor(
      () => server.connectionCount >= 2 && server.subscribedClients === 1 && connector.state === 'subscribed',
      'reconnected subscription',
    );
    expect(server.authCommands.length).toBe(server.connectionCount);
  });

  it('rejects a non-websocket url and missing login at construction', () => {
    expect(() => make({ url: 'http://127.0.0.1:1/wsi' })).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => make({ username: undefined })).toThrow(/username/);
  });
});

import WebSocket from 'ws';

/** Structured logger the connector writes to (pino-compatible call shape). */
export interface WsiLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Optional callbacks for metrics and health; exceptions thrown by them are logged and ignored. */
export interface WsiConnectorHooks {
  /** The socket is authenticated and the subscribe command has been sent. */
  onConnected?(): void;
  /** A connection that had reached `onConnected` is gone; paired one-to-one with it. */
  onDisconnected?(reason: string): void;
  /** The PBX refused the credentials (or refused the subscription). */
  onAuthFailure?(error: string): void;
  /** A pushed message was received (before it is delivered). */
  onMessage?(): void;
  /** `deliver` rejected, or a buffered message had to be dropped because the buffer was full. */
  onDeliverError?(err: unknown): void;
}

/** Subscription filters: the `extensions`, `queues` and `tenants` arrays of the subscribe command. */
export interface WsiFilters {
  extensions?: string[];
  queues?: string[];
  tenants?: string[];
}

/** Configuration of one PortSIP WSI source. */
export interface WsiConnectorOptions {
  sourceId: string;
  /** `ws://` or `wss://`, e.g. `wss://pbx.example.com:8887/wsi`. */
  url: string;
  /** Log in with `username` (+ `domain` for tenant users) or with `extensionNumber` + `domain`. */
  username?: string;
  extensionNumber?: string;
  password: string;
  domain?: string;
  topics: string[];
  filters?: WsiFilters;
  /** Appends one pushed message to the event store; resolves only after commit. */
  deliver: (raw: Buffer) => Promise<void>;
  logger: WsiLogger;
  hooks?: WsiConnectorHooks;
  /** Ping period; a ping still unanswered at the next tick terminates the socket. Default 15000. */
  pingIntervalMs?: number;
  /** Reconnect and redelivery backoff: exponential with full jitter. Default 500 / 30000. */
  backoff?: { initialMs: number; maxMs: number };
  /** Wait after refused credentials, plus up to 25 % jitter. Default 60000. */
  authFailureBackoffMs?: number;
  /** Verify the server certificate on wss; default true. */
  rejectUnauthorized?: boolean;
  /** Injectable random source in [0, 1) for deterministic tests. */
  random?: () => number;
  /** Longest wait for the opening handshake and for command replies. Default 10000. */
  replyTimeoutMs?: number;
  /** Most messages held for delivery (including the one in flight). Default 10000. */
  maxBufferedMessages?: number;
  /** Upper bound of `stop()`: socket close plus delivery drain. Default 5000. */
  stopTimeoutMs?: number;
}

/** Lifecycle state of a connector, as reported by `WsiConnector.state`. */
export type WsiConnectorState = 'idle' | 'connecting' | 'authenticating' | 'subscribed' | 'backoff' | 'stopped';

/** Per-socket bookkeeping; event handlers compare against `current` so stale sockets are inert. */
interface Connection {
  ws: WebSocket;
  opened: boolean;
  connectedHookFired: boolean;
  awaitingPong: boolean;
  /** Set when we decided to drop the socket ourselves, so the close handler reports our reason. */
  closeReason?: string;
  /** Set when the PBX refused us; the close handler then uses the auth-failure delay, silently. */
  refusal?: string;
  /** Last socket error, reported in the single log line of the close handler. */
  lastError?: string;
  heartbeat?: NodeJS.Timeout;
  replyTimer?: NodeJS.Timeout;
  stableTimer?: NodeJS.Timeout;
  killTimer?: NodeJS.Timeout;
}

type CommandReply = { command: string; status?: unknown; error?: unknown; id?: unknown };

/**
 * Keeps one authenticated PortSIP WSI subscription alive and hands every pushed message, as its
 * exact received bytes and in arrival order, to `deliver`.
 *
 * WSI has no sequence numbers or replay: whatever the PBX pushes while we are disconnected is
 * lost, which the CDR webhook and reconciliation cover. What we did receive is never dropped
 * silently: failed deliveries are retried with backoff, and only a full buffer discards (with an
 * error log and `onDeliverError`).
 */
export class WsiConnector {
  private readonly sourceId: string;
  private readonly pingIntervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly authFailureBackoffMs: number;
  private readonly replyTimeoutMs: number;
  private readonly maxBuffered: number;
  private readonly stopTimeoutMs: number;
  private readonly random: () => number;

  private currentState: WsiConnectorState = 'idle';
  private current: Connection | null = null;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private commandSeq = 0;

  private readonly queue: Buffer[] = [];
  private inFlight = false;
  private pumping = false;
  private deliverFailures = 0;
  private abandonDelivery = false;
  private retryWait: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private drainWaiters: Array<() => void> = [];
  private socketClosedWaiters: Array<() => void> = [];
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly opts: WsiConnectorOptions) {
    const protocol = safeProtocol(opts.url);
    if (protocol !== 'ws:' && protocol !== 'wss:') {
      throw new Error(`WSI source ${opts.sourceId}: url must be ws:// or wss://, got ${opts.url}`);
    }
    if (!opts.username === !opts.extensionNumber) {
      throw new Error(`WSI source ${opts.sourceId}: set exactly one of username / extensionNumber`);
    }
    if (opts.topics.length === 0) {
      throw new Error(`WSI source ${opts.sourceId}: at least one topic is required`);
    }
    this.sourceId = opts.sourceId;
    this.pingIntervalMs = positive(opts.pingIntervalMs, 15_000);
    this.initialBackoffMs = positive(opts.backoff?.initialMs, 500);
    this.maxBackoffMs = Math.max(this.initialBackoffMs, positive(opts.backoff?.maxMs, 30_000));
    this.authFailureBackoffMs = positive(opts.authFailureBackoffMs, 60_000);
    this.replyTimeoutMs = positive(opts.replyTimeoutMs, 10_000);
    this.maxBuffered = Math.max(1, Math.floor(positive(opts.maxBufferedMessages, 10_000)));
    this.stopTimeoutMs = positive(opts.stopTimeoutMs, 5_000);
    this.random = opts.random ?? Math.random;
  }

  /** Current lifecycle state. */
  get state(): WsiConnectorState {
    return this.currentState;
  }

  /** Number of received messages not yet committed by `deliver` (including one in flight). */
  get pendingDeliveries(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  /** Opens the connection; reconnects on its own until `stop()`. Only valid once, from `idle`. */
  start(): void {
    if (this.currentState !== 'idle') {
      this.opts.logger.warn(
        { sourceId: this.sourceId, state: this.currentState },
        'WSI connector start() ignored: already started',
      );
      return;
    }
    this.connect();
  }

  /**
   * Stops reconnecting, closes the socket with code 1000 and waits (bounded by `stopTimeoutMs`)
   * for the close handshake and for every received message to be delivered. Idempotent.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.currentState = 'stopped';
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const deadline = Date.now() + this.stopTimeoutMs;

    const conn = this.current;
    if (conn) {
      conn.closeReason = 'stopped';
      const closed = new Promise<void>((resolve) => this.socketClosedWaiters.push(resolve));
      if (conn.ws.readyState === WebSocket.CONNECTING) {
        // close() on a connecting socket aborts with an error; terminate says the same, quietly.
        conn.ws.terminate();
      } else {
        safeClose(conn.ws, 1000, 'connector stopping');
      }
      if (!(await settlesBefore(closed, deadline))) conn.ws.terminate();
    }

    const drained = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    if (this.pendingDeliveries === 0) this.notifyDrained();
    if (!(await settlesBefore(drained, deadline))) {
      // Past the bound we give up: these messages were received but are not in the store.
      const lost = this.pendingDeliveries;
      this.abandonDelivery = true;
      this.retryWait?.wake();
      this.opts.logger.error(
        { sourceId: this.sourceId, lost },
        'WSI connector stopped before every received message was delivered; they are lost',
      );
    }
    this.opts.logger.info({ sourceId: this.sourceId }, 'WSI connector stopped');
  }

  // ---- connection lifecycle -------------------------------------------------------------

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.currentState === 'stopped') return;
    this.currentState = 'connecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.opts.url, {
        rejectUnauthorized: this.opts.rejectUnauthorized ?? true,
        handshakeTimeout: this.replyTimeoutMs,
        // Exact bytes go to the store, which flags bad encodings; by default ws would instead
        // kill the connection (1007) on invalid UTF-8 and we would reconnect-loop on it.
        skipUTF8Validation: true,
      });
    } catch (err) {
      this.opts.logger.error({ sourceId: this.sourceId, err: errorText(err) }, 'WSI connection could not be created');
      this.scheduleReconnect(this.nextBackoffDelay());
      return;
    }
    const conn: Connection = {
      ws,
      opened: false,
      connectedHookFired: false,
      awaitingPong: false,
    };
    this.current = conn;
    ws.on('open', () => this.guard(() => this.onOpen(conn)));
    ws.on('message', (data: WebSocket.RawData) => this.guard(() => this.onFrame(conn, data)));
    ws.on('pong', () => {
      conn.awaitingPong = false;
    });
    ws.on('error', (err: Error) => {
      conn.lastError = err.message;
    });
    ws.on('close', (code: number, reason: Buffer) =>
      this.guard(() => this.onClose(conn, code, reason.toString('utf8'))),
    );
  }

  private onOpen(conn: Connection): void {
    if (conn !== this.current || this.currentState === 'stopped') return;
    conn.opened = true;
    this.currentState = 'authenticating';
    conn.heartbeat = setInterval(() => this.guard(() => this.heartbeat(conn)), this.pingIntervalMs);
    const auth: Record<string, string> = { command: 'auth', id: String(++this.commandSeq) };
    if (this.opts.username) auth.username = this.opts.username;
    else auth.extension_number = this.opts.extensionNumber as string;
    auth.password = this.opts.password;
    if (this.opts.domain) auth.domain = this.opts.domain;
    this.send(conn, auth);
    this.armReplyTimer(conn, 'auth');
  }

  private heartbeat(conn: Connection): void {
    if (conn !== this.current) return;
    if (conn.awaitingPong) {
      conn.closeReason = 'pong timeout';
      conn.ws.terminate();
      return;
    }
    conn.awaitingPong = true;
    conn.ws.ping();
  }

  private armReplyTimer(conn: Connection, command: string): void {
    clearTimeout(conn.replyTimer);
    conn.replyTimer = setTimeout(
      () =>
        this.guard(() => {
          if (conn !== this.current) return;
          conn.closeReason = `no ${command} reply within ${this.replyTimeoutMs} ms`;
          conn.ws.terminate();
        }),
      this.replyTimeoutMs,
    );
  }

  private onClose(conn: Connection, code: number, reasonText: string): void {
    if (conn !== this.current) return;
    this.current = null;
    clearInterval(conn.heartbeat);
    clearTimeout(conn.replyTimer);
    clearTimeout(conn.stableTimer);
    clearTimeout(conn.killTimer);

    const reason =
      conn.closeReason ??
      (conn.opened
        ? `closed by server (code ${code}${reasonText ? `, ${reasonText}` : ''})`
        : `connect failed: ${conn.lastError ?? `code ${code}`}`);
    if (conn.connectedHookFired) this.callHook('onDisconnected', reason);

    if (this.currentState === 'stopped') {
      for (const resolve of this.socketClosedWaiters.splice(0)) resolve();
      return;
    }
    if (conn.refusal !== undefined) {
      // Already logged once when the refusal arrived; one line per attempt is enough.
      this.scheduleReconnect(this.authFailureDelay());
      return;
    }
    const delayMs = this.nextBackoffDelay();
    this.opts.logger.warn(
      { sourceId: this.sourceId, reason, attempt: this.reconnectAttempt, delayMs },
      conn.connectedHookFired ? 'WSI connection lost; reconnecting' : 'WSI connection attempt failed',
    );
    this.scheduleReconnect(delayMs);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.currentState === 'stopped') return;
    this.currentState = 'backoff';
    this.reconnectTimer = setTimeout(() => this.guard(() => this.connect()), delayMs);
  }

  /** Full jitter over an exponentially growing cap. */
  private nextBackoffDelay(): number {
    const cap = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(this.reconnectAttempt, 30));
    this.reconnectAttempt += 1;
    return Math.floor(this.random() * cap);
  }

  /** Never shorter than the configured wait, so refused credentials cannot turn into a hot loop. */
  private authFailureDelay(): number {
    return Math.floor(this.authFailureBackoffMs * (1 + 0.25 * this.random()));
  }

  // ---- frames ----------------------------------------------------------------------------

  private onFrame(conn: Connection, data: WebSocket.RawData): void {
    if (conn !== this.current) return;
    const raw = copyFrame(data);
    const reply = asCommandReply(raw);
    if (reply) {
      // Once stopping, a late auth reply must not revive the subscription.
      if (this.currentState !== 'stopped') this.onCommandReply(conn, reply);
      return;
    }
    this.callHook('onMessage');
    this.enqueue(raw);
  }

  private onCommandReply(conn: Connection, reply: CommandReply): void {
    const failed = reply.error !== undefined || !isSuccessStatus(reply.status);
    if (reply.command === 'auth') {
      if (this.currentState !== 'authenticating') {
        this.opts.logger.warn({ sourceId: this.sourceId, reply }, 'WSI unexpected auth reply ignored');
        return;
      }
      clearTimeout(conn.replyTimer);
      if (failed) {
        this.refuse(conn, describeError(reply), 'WSI authentication refused');
        return;
      }
      this.subscribe(conn);
      return;
    }
    if (reply.command === 'subscribe') {
      // The doc defines no subscribe reply; if one comes and says no, it is a permission
      // problem that needs a human, so it is handled like refused credentials.
      if (failed) this.refuse(conn, describeError(reply), 'WSI subscription refused');
      return;
    }
    this.opts.logger.info(
      { sourceId: this.sourceId, command: reply.command, status: reply.status },
      'WSI command reply ignored',
    );
  }

  private refuse(conn: Connection, error: string, msg: string): void {
    conn.refusal = error;
    conn.closeReason = `${msg}: ${error}`;
    this.opts.logger.error({ sourceId: this.sourceId, error, retryInMs: this.authFailureBackoffMs }, msg);
    this.callHook('onAuthFailure', error);
    safeClose(conn.ws, 1000, 'refused');
    // A peer that never completes the close handshake must not hold the retry schedule hostage.
    conn.killTimer = setTimeout(() => conn.ws.terminate(), this.replyTimeoutMs);
  }

  private subscribe(conn: Connection): void {
    const command: Record<string, unknown> = { command: 'subscribe', topics: this.opts.topics };
    const filters = this.opts.filters ?? {};
    for (const key of ['extensions', 'queues', 'tenants'] as const) {
      const values = filters[key];
      if (values && values.length > 0) command[key] = values;
    }
    this.send(conn, command);
    this.currentState = 'subscribed';
    conn.connectedHookFired = true;
    this.opts.logger.info({ sourceId: this.sourceId, topics: this.opts.topics }, 'WSI authenticated and subscribed');
    this.callHook('onConnected');
    // Resetting only once the subscription has survived a ping period keeps a PBX that accepts
    // and immediately drops us on a growing delay instead of a tight reconnect loop.
    conn.stableTimer = setTimeout(() => {
      if (conn === this.current) this.reconnectAttempt = 0;
    }, this.pingIntervalMs);
  }

  private send(conn: Connection, command: object): void {
    conn.ws.send(JSON.stringify(command), (err) => {
      // A failed send means the socket is going away; its close event drives the reconnect.
      if (err && conn === this.current) conn.lastError = err.message;
    });
  }

  // ---- delivery --------------------------------------------------------------------------

  private enqueue(raw: Buffer): void {
    // Bounded so a long store outage cannot exhaust memory. The oldest *waiting* message is
    // dropped: the one in flight may be committing right now and cannot be taken back.
    if (this.pendingDeliveries >= this.maxBuffered && this.queue.length > 0) {
      const dropped = this.queue.shift() as Buffer;
      const err = new Error(`WSI delivery buffer full (${this.maxBuffered}); dropped oldest waiting message`);
      this.opts.logger.error(
        { sourceId: this.sourceId, droppedBytes: dropped.length, pending: this.pendingDeliveries },
        err.message,
      );
      this.callHook('onDeliverError', err);
    }
    this.queue.push(raw);
    void this.pump();
  }

  /** Single consumer: one `deliver` at a time, so commit order equals arrival order. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.abandonDelivery) {
        const raw = this.queue.shift() as Buffer;
        this.inFlight = true;
        try {
          await this.deliverWithRetry(raw);
        } finally {
          this.inFlight = false;
        }
      }
    } catch (err) {
      this.opts.logger.error({ sourceId: this.sourceId, err: errorText(err) }, 'WSI delivery loop failed');
    } finally {
      this.pumping = false;
      if (this.pendingDeliveries === 0 || this.abandonDelivery) this.notifyDrained();
    }
  }

  private async deliverWithRetry(raw: Buffer): Promise<void> {
    for (;;) {
      try {
        await this.opts.deliver(raw);
        this.deliverFailures = 0;
        return;
      } catch (err) {
        this.deliverFailures += 1;
        const cap = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(this.deliverFailures - 1, 30));
        const delayMs = Math.floor(this.random() * cap);
        this.opts.logger.warn(
          {
            sourceId: this.sourceId,
            err: errorText(err),
            failures: this.deliverFailures,
            pending: this.pendingDeliveries,
            delayMs,
          },
          'WSI deliver failed; message kept and retried',
        );
        this.callHook('onDeliverError', err);
        if (this.abandonDelivery) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.retryWait = undefined;
            resolve();
          }, delayMs);
          this.retryWait = {
            timer,
            wake: () => {
              clearTimeout(timer);
              this.retryWait = undefined;
              resolve();
            },
          };
        });
        if (this.abandonDelivery) return;
      }
    }
  }

  private notifyDrained(): void {
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  // ---- safety ----------------------------------------------------------------------------

  /** Event handlers must never throw into ws or timers; anything unexpected is logged. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.logger.error({ sourceId: this.sourceId, err: errorText(err) }, 'WSI connector internal error');
    }
  }

  private callHook<K extends keyof WsiConnectorHooks>(
    name: K,
    ...args: Parameters<NonNullable<WsiConnectorHooks[K]>>
  ): void {
    const hook = this.opts.hooks?.[name] as ((...a: unknown[]) => void) | undefined;
    if (!hook) return;
    try {
      hook.apply(this.opts.hooks, args);
    } catch (err) {
      this.opts.logger.error({ sourceId: this.sourceId, hook: name, err: errorText(err) }, 'WSI hook threw');
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

function safeProtocol(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    ws.terminate();
  }
}

/** Copies so a held message does not pin ws's (possibly much larger) receive chunk in memory. */
function copyFrame(data: WebSocket.RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (Buffer.isBuffer(data)) return Buffer.from(data);
  return Buffer.from(new Uint8Array(data));
}

/**
 * A command reply is a JSON object with a string `command` and no `event_type`. Everything else
 * (events, arrays, JSON without `event_type`, non-JSON, binary) is treated as pushed data and
 * delivered as received: the doc's own examples are not always valid JSON, and deciding what is
 * garbage is the store's job, where the raw bytes stay inspectable.
 */
function asCommandReply(raw: Buffer): CommandReply | undefined {
  // Cheap pre-check so large pushed events are not parsed twice (the store parses them).
  if (raw.indexOf('"command"') === -1) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  if (typeof obj.command !== 'string' || 'event_type' in obj) return undefined;
  return obj as CommandReply;
}

function isSuccessStatus(status: unknown): boolean {
  return status === 0 || status === '0';
}

function describeError(reply: CommandReply): string {
  if (typeof reply.error === 'string' && reply.error.length > 0) return reply.error;
  return `status ${JSON.stringify(reply.status ?? null)}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True if `p` settles before the deadline, false otherwise; never leaves a timer behind. */
async function settlesBefore(p: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

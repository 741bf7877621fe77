import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/** Credentials the fake accepts; give `username` and/or `extensionNumber`. */
export interface FakeWsiCredentials {
  username?: string;
  extensionNumber?: string;
  password: string;
  /** When set, the auth command must carry this domain. */
  domain?: string;
}

/** Behaviour switches of the fake PBX. */
export interface FakeWsiServerOptions {
  credentials: FakeWsiCredentials;
  /** Answer subscribe with `{command:'subscribe',status:0}`; undocumented, so default false. */
  ackSubscribe?: boolean;
}

/** One client's subscribe command as received. */
export interface RecordedSubscribe {
  connection: number;
  command: Record<string, unknown>;
}

interface ClientState {
  id: number;
  ws: WebSocket;
  authenticated: boolean;
  subscribed: boolean;
}

/** The failure text PortSIP documents for refused credentials. */
export const FAKE_WSI_AUTH_ERROR = 'access_token , username , domain or password error';

/**
 * In-process stand-in for a PortSIP WSI endpoint on 127.0.0.1 (random port), speaking the
 * documented auth / subscribe commands and pushing events only to subscribed clients.
 */
export class FakeWsiServer {
  /** Every auth command received, in order. */
  readonly authCommands: Array<Record<string, unknown>> = [];
  /** Every subscribe command received from an authenticated client, in order. */
  readonly subscribeCommands: RecordedSubscribe[] = [];
  /** Close codes sent by clients that closed the connection themselves. */
  readonly clientCloseCodes: number[] = [];

  private readonly clients = new Set<ClientState>();
  private connections = 0;
  private refusing = false;
  private answeringPings = true;
  private replySeq = 0;

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly options: FakeWsiServerOptions,
  ) {
    wss.on('connection', (ws) => this.onConnection(ws));
  }

  /** Listens on 127.0.0.1 with an OS-assigned port. */
  static async start(options: FakeWsiServerOptions): Promise<FakeWsiServer> {
    // autoPong off so tests can simulate a peer that stops answering pings.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/wsi', autoPong: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new FakeWsiServer(wss, options);
  }

  /** `ws://127.0.0.1:<port>/wsi`. */
  get url(): string {
    const { port } = this.wss.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/wsi`;
  }

  /** Connections accepted since start (including closed ones). */
  get connectionCount(): number {
    return this.connections;
  }

  /** Connections currently open. */
  get openConnections(): number {
    return this.clients.size;
  }

  /** Clients currently subscribed. */
  get subscribedClients(): number {
    return [...this.clients].filter((c) => c.subscribed).length;
  }

  /** While on, every auth command is answered with the documented failure. */
  refuseCredentials(on: boolean): void {
    this.refusing = on;
  }

  /** While off, pings go unanswered (the pong a real PBX would send never comes). */
  answerPings(on: boolean): void {
    this.answeringPings = on;
  }

  /** Sends `JSON.stringify(obj)` to every subscribed client; returns how many got it. */
  push(obj: unknown): number {
    return this.pushRaw(JSON.stringify(obj));
  }

  /** Sends exactly these bytes as one text (or binary) frame to every subscribed client. */
  pushRaw(data: string | Buffer, binary = false): number {
    let sent = 0;
    for (const client of this.clients) {
      if (!client.subscribed || client.ws.readyState !== WebSocket.OPEN) continue;
      client.ws.send(data, { binary });
      sent += 1;
    }
    return sent;
  }

  /** Sends a frame to every open client regardless of subscription (e.g. a stray command reply). */
  sendToAll(data: string): void {
    for (const client of this.clients) client.ws.send(data);
  }

  /** Kills every connection at the TCP level, without a close frame. */
  dropAll(): void {
    for (const client of this.clients) client.ws.terminate();
  }

  /** Terminates all clients and stops listening. */
  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private onConnection(ws: WebSocket): void {
    const client: ClientState = {
      id: ++this.connections,
      ws,
      authenticated: false,
      subscribed: false,
    };
    this.clients.add(client);
    ws.on('ping', (data: Buffer) => {
      if (this.answeringPings) ws.pong(data);
    });
    ws.on('message', (data: WebSocket.RawData) => this.onCommand(client, data));
    ws.on('close', (code: number) => {
      this.clients.delete(client);
      // 1006 is what ws reports for an abrupt loss; only real close frames are recorded.
      if (code !== 1006) this.clientCloseCodes.push(code);
    });
    ws.on('error', () => {
      // The close event follows; nothing else to do for a test double.
    });
  }

  private onCommand(client: ClientState, data: WebSocket.RawData): void {
    let cmd: Record<string, unknown>;
    try {
      cmd = JSON.parse(Buffer.isBuffer(data) ? data.toString() : Buffer.concat(data as Buffer[]).toString()) as Record<
        string,
        unknown
      >;
    } catch {
      return;
    }
    const id = typeof cmd.id === 'string' ? cmd.id : String(++this.replySeq);
    if (cmd.command === 'auth') {
      this.authCommands.push(cmd);
      if (!this.refusing && this.credentialsMatch(cmd)) {
        client.authenticated = true;
        client.ws.send(JSON.stringify({ command: 'auth', id, status: 0 }));
      } else {
        client.ws.send(JSON.stringify({ command: 'auth', error: FAKE_WSI_AUTH_ERROR, id, status: -1 }));
      }
      return;
    }
    if (cmd.command === 'subscribe' && client.authenticated) {
      this.subscribeCommands.push({ connection: client.id, command: cmd });
      client.subscribed = true;
      if (this.options.ackSubscribe) {
        client.ws.send(JSON.stringify({ command: 'subscribe', id, status: 0 }));
      }
    }
  }

  private credentialsMatch(cmd: Record<string, unknown>): boolean {
    const c = this.options.credentials;
    const who =
      (c.username !== undefined && cmd.username === c.username) ||
      (c.extensionNumber !== undefined && cmd.extension_number === c.extensionNumber);
    const domainOk = c.domain === undefined || cmd.domain === c.domain;
    return who && cmd.password === c.password && domainOk;
  }
}

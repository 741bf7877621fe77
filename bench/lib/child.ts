import { ChildProcess, fork } from 'node:child_process';
import { extname, join } from 'node:path';

/**
 * Helper processes of a benchmark: a load generator, a server under test, a projection worker.
 * Each gets its own event loop (and core), so neither the load nor the harness steals time from
 * what is measured. The parent calls methods by name over IPC; the child answers each call once.
 */

interface CallMessage {
  id: number;
  method: string;
  args: unknown;
}

type ReplyMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** The parent's handle on a helper process started with `startChild`. */
export class BenchChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.on('message', (m: ReplyMessage) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    void this.exited.then((code) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (code ${code}) before answering`));
      this.pending.clear();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls `method` in the child; rejects with the child's error, or if it exits first. */
  call<T>(method: string, args: unknown = null): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, method, args } satisfies CallMessage, (error) => {
        if (error) {
          this.pending.delete(id);
          reject(error);
        }
      });
    });
  }

  /** Asks the child to clean up and exit; kills it (by its pid only) if it has not exited in time. */
  async close(timeoutMs = 15000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.call('exit').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Node flags of the processes that fold projections, as the product starts them (package.json's
 * start, start:worker and cli scripts, the Dockerfile, docker-compose.yml's worker; a test keeps
 * them in step): the bench's worker and catch-up runners get them too.
 */
export const PROJECTION_NODE_FLAGS = ['--max-semi-space-size=64'];

/**
 * Node flags of the ingest app as the product starts it (package.json's start:ingest,
 * docker-compose.yml's ingest; the same test keeps them in step): the ingest benchmark's app gets
 * them. A webhook allocates little but thousands arrive a second: with the default 16 MB
 * semi-spaces the app spent about three times as long in scavenges (docs/ingestion.md).
 */
export const INGEST_NODE_FLAGS = ['--max-semi-space-size=64'];

/**
 * Starts `bench/lib/<module>` as a child. Its stdout and stderr go to our stderr (stdout of the
 * bench carries only the paths written). Works from the build (`.js`) and under ts-node (`.ts`).
 * With BENCH_CPU_PROF=<dir> every child writes a V8 CPU profile there when it exits.
 */
export function startChild(module: string, opts: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): BenchChild {
  const ext = extname(__filename);
  const tsArgs = ext === '.ts' ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'] : [];
  const dir = process.env.BENCH_CPU_PROF;
  const profile = dir
    ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${module}-${Date.now()}.cpuprofile`]
    : [];
  const child = fork(join(__dirname, `${module}${ext}`), [], {
    env: { ...process.env, ...opts.env },
    execArgv: [...tsArgs, ...profile, ...(opts.execArgv ?? [])],
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  return new BenchChild(module, child);
}

/**
 * The child's side: answers the parent's calls with `handlers`. `exit` runs `onExit` (if given),
 * answers, and ends the process. A lost parent ends it too, so no helper outlives a failed bench.
 */
export function serveParent(handlers: Record<string, (args: never) => unknown>, onExit?: () => Promise<void>): void {
  if (!process.send) throw new Error('serveParent: not started as a child process with IPC');
  const send = (m: ReplyMessage, then?: () => void) => process.send!(m, undefined, undefined, () => then?.());
  process.on('message', (m: CallMessage) => {
    if (m.method === 'exit') {
      void (onExit ?? (() => Promise.resolve()))()
        .catch((e: unknown) => process.stderr.write(`exit cleanup failed: ${String(e)}\n`))
        .finally(() => send({ id: m.id, ok: true, result: null }, () => process.exit(0)));
      return;
    }
    const handler = handlers[m.method];
    if (!handler) {
      send({ id: m.id, ok: false, error: `unknown method ${m.method}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(m.args as never))
      .then(
        (result) => send({ id: m.id, ok: true, result }),
        (e: unknown) => send({ id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
  process.on('disconnect', () => process.exit(1));
}

import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventStore, toPayloadJson } from '@app/event-store';
import { freshIds, waitFor, testPool } from '../support/env';

const ROOT = resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** Starts the one-process product exactly as `npm start` does, but from the TypeScript sources. */
function startProduct(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let out = '';
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.REDIS_URL;
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/standalone/main.ts'],
    {
      cwd: ROOT,
      env: { ...clean, TS_NODE_TRANSPILE_ONLY: '1', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function ready(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    return res.status === 200;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((ok) => (child.exitCode !== null ? ok(child.exitCode) : child.once('exit', (code) => ok(code))));
}

describe('zero-setup start (no DATABASE_URL, no REDIS_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cdr-standalone-'));
  // PostgreSQL may run as the `postgres` user (when we are root): it must reach the folder.
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts embedded PostgreSQL and BullMQ on it, stops cleanly on SIGINT, and keeps the data', async () => {
    const [port, pgPort] = [await freePort(), await freePort()];
    const env = { DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(pgPort) };
    const ids = freshIds();
    const dbUrl = `postgres://cdr:cdr-embedded@127.0.0.1:${pgPort}/cdr`;

    const first = startProduct(env);
    await waitFor(() => ready(port), 90000, 'first start');
    expect(first.output()).toContain(`Webhooks:  http://localhost:${port}/webhooks/<sourceId>`);
    expect(first.output()).toContain(`GraphQL:   http://localhost:${port}/graphql`);
    expect(first.output()).toContain('Queue: BullMQ on PostgreSQL');

    const pool = testPool(dbUrl);
    const raw = Buffer.from('{"event":"EXTENSION_REGISTER_SUCCESS"}');
    await new EventStore(pool).append([
      {
        ...ids,
        vendor: 'nexbro',
        type: 'EXTENSION_REGISTER_SUCCESS',
        recognized: true,
        dedupKey: 'k',
        occurredAt: null,
        raw,
        payloadJson: toPayloadJson({}),
      },
    ]);
    await pool.end();

    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);
    expect(first.output()).toContain('embedded PostgreSQL stopped');
    expect(await ready(port)).toBe(false);

    const second = startProduct(env);
    try {
      await waitFor(() => ready(port), 60000, 'second start');
      expect(second.output()).not.toContain('initialising embedded PostgreSQL');
      const again = testPool(dbUrl);
      const { rows } = await again.query('SELECT type, raw FROM raw_events WHERE source_id = $1', [ids.sourceId]);
      await again.end();
      expect(rows).toHaveLength(1);
      expect(rows[0].raw.toString()).toBe(raw.toString());
    } finally {
      second.child.kill('SIGINT');
      expect(await exited(second.child)).toBe(0);
    }
  }, 180000);
});

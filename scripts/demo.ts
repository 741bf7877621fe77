import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * `npm run demo`: starts the product with its embedded defaults (as `npm start` does), simulates
 * an hour of a small contact centre over the webhooks, creates an API key and prints example
 * GraphQL queries with their answers. Set PORT / DATA_DIR / EMBEDDED_PG_PORT to move it.
 */
const ROOT = resolve(__dirname, '../..');
const PORT = Number(process.env.PORT ?? 3000);
const BASE = `http://127.0.0.1:${PORT}`;
const run = promisify(execFile);
const say = (text: string) => process.stdout.write(`${text}\n`);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function node(script: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(ROOT, 'dist', script), ...args], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** True when every projection partition reports no lag on /metrics. */
async function caughtUp(): Promise<true | undefined> {
  const text = await (await fetch(`${BASE}/metrics`)).text();
  const lags = text.split('\n').filter((l) => l.startsWith('cdr_projection_lag_positions{'));
  return lags.length > 0 && lags.every((l) => Number(l.split(' ').pop()) === 0) ? true : undefined;
}

async function graphql(key: string, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

async function main(): Promise<void> {
  say(`Starting the product on ${BASE} (embedded PostgreSQL, BullMQ on PostgreSQL)...`);
  const product: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist/apps/standalone/main.js')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stopped = new Promise<void>((ok) => product.once('exit', () => ok()));
  try {
    await until(
      'the product to be ready',
      async () => ((await fetch(`${BASE}/health/ready`)).ok ? true : undefined),
      120000,
    );
    const dir = mkdtempSync(join(tmpdir(), 'cdr-demo-'));
    const world = join(dir, 'world.json');
    say('Creating a contact centre (one tenant, a Nexbro, a PortSIP and a VoIPcloud PBX)...');
    await node('apps/simulate/main.js', ['--setup', '--world', world, '--calls-per-day', '2400', '--quiet']);
    say('Simulating 09:00-10:00 of a Monday over the webhooks...');
    const sent = JSON.parse(
      await node('apps/simulate/main.js', [
        '--target',
        BASE,
        '--world',
        world,
        '--start',
        '2026-03-02T09:00',
        '--hours',
        '1',
        '--calls-per-day',
        '2400',
        '--rate',
        '3000',
        '--quiet',
      ]),
    ) as Record<string, unknown>;
    say(`  sent: ${JSON.stringify(sent.http ?? sent)}`);
    const tenant = (JSON.parse(readFileSync(world, 'utf8')) as { tenants: Array<{ id: string; timezone: string }> })
      .tenants[0];
    const { key } = JSON.parse(
      await node('apps/cli/main.js', ['apikey:create', '--tenant', tenant.id, '--name', 'demo']),
    ) as {
      key: string;
    };
    await until('the projections to catch up', caughtUp, 120000);

    const examples: Array<[string, string, Record<string, unknown>]> = [
      [
        'The latest answered inbound calls',
        `query($f: CallFilter) { calls(filter: $f, first: 3) { totalCount edges { node {
           startedAt vendor direction disposition callerNumber answeredBy queue talkSeconds } } pageInfo { hasNextPage endCursor } } }`,
        { f: { direction: 'INBOUND', disposition: 'ANSWERED' } },
      ],
      [
        `Queue statistics per hour in ${tenant.timezone}`,
        `query($tz: String) { queueStats(from: "2026-03-01T00:00:00Z", to: "2026-03-03T00:00:00Z", granularity: HOUR, timezone: $tz) {
           queue intervalStart offered answered abandoned serviceLevel averageWaitSeconds } }`,
        { tz: tenant.timezone },
      ],
      [
        'Agents over the day',
        `{ agentStats(from: "2026-03-01T00:00:00Z", to: "2026-03-03T00:00:00Z", granularity: DAY) {
           agent loggedInSeconds talkSeconds callsAnswered callsMissed occupancy } }`,
        {},
      ],
      ['The extension directory', '{ extensions { number name online presence callStatus lastSeenAt } }', {}],
    ];
    for (const [title, query, variables] of examples) {
      say(`\n# ${title}\n${query.replace(/\s+/g, ' ')}`);
      const answer = JSON.stringify(await graphql(key, query, variables), null, 1);
      const lines = answer.split('\n');
      say(lines.length > 40 ? `${lines.slice(0, 40).join('\n')}\n ... (${lines.length - 40} more lines)` : answer);
    }
    say(
      `\nThe data stays in DATA_DIR: run \`npm start\` and try:\n  curl -s ${BASE}/graphql -H 'authorization: Bearer ${key}' \\\n` +
        `    -H 'content-type: application/json' -d '{"query":"{ calls(first: 5) { totalCount } }"}'`,
    );
  } finally {
    product.kill('SIGINT');
    await stopped;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});

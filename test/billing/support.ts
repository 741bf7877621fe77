import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@app/platform';
import { UsageError, runCommand } from '../../apps/cli/cli';
import { REDIS_URL, TEST_DATABASE_URL, TEST_QUEUE_PREFIX } from '../support/env';

const run = promisify(execFile);
export const ROOT = resolve(__dirname, '../..');

/** A completed VoIPcloud outbound call: answered `answerAfter` s after `start`, `talk` s of conversation. */
export function outboundCall(opts: {
  id: string;
  to: string;
  start: string;
  answerAfter?: number;
  talk: number;
  from?: string;
}): Record<string, unknown> {
  const start = new Date(opts.start);
  const answer = new Date(start.getTime() + (opts.answerAfter ?? 5) * 1000);
  return {
    type: 'user_outbound_completed',
    unique_call_id: opts.id,
    caller_id: opts.from ?? '+61280001000',
    user_name: 'Bob',
    user_number: '202',
    dest_number: opts.to,
    call_start_at: start.toISOString(),
    connected_at: answer.toISOString(),
    call_duration: (opts.answerAfter ?? 5) + opts.talk,
    conversation_duration: opts.talk,
  };
}

/** A completed VoIPcloud inbound call (never rated). */
export function inboundCall(id: string, start: string, talk: number): Record<string, unknown> {
  return {
    type: 'user_inbound_completed',
    unique_call_id: id,
    caller_id: '+61290001234',
    user_name: 'Alice',
    user_number: '201',
    dest_number: '+61280001000',
    call_start_at: start,
    connected_at: new Date(new Date(start).getTime() + 5000).toISOString(),
    call_duration: talk + 5,
    conversation_duration: talk,
  };
}

export type GqlBody = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by value
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
};

/** POSTs a GraphQL query with an API key. */
export async function gql(url: string, key: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as GqlBody };
}

/** Runs `npm run -s cli -- ...` from the TypeScript sources; returns exit code, stdout, stderr. */
export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/cli/main.ts', ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TS_NODE_TRANSPILE_ONLY: '1',
          DATABASE_URL: TEST_DATABASE_URL,
          REDIS_URL,
          QUEUE_PREFIX: TEST_QUEUE_PREFIX,
          LOG_LEVEL: 'silent',
          SECRET_KEY: 'cli-test-secret-cli-test-secret-0123456789',
        },
      },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

/** Writes a file under a fresh temporary directory and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdr-billing-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/**
 * Runs a CLI command in this process (the same code as `npm run -s cli`, without starting
 * Node and ts-node again): the JSON it would print, or `{ error }` with what it would say.
 */
export async function cliInProcess(...args: string[]): Promise<{ out?: unknown; error?: string; usage?: boolean }> {
  const config = loadConfig({
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL,
    QUEUE_PREFIX: TEST_QUEUE_PREFIX,
    LOG_LEVEL: 'silent',
    SECRET_KEY: 'cli-test-secret-cli-test-secret-0123456789',
  });
  try {
    return { out: JSON.parse(JSON.stringify(await runCommand(args, config))) };
  } catch (error) {
    return { error: (error as Error).message, usage: error instanceof UsageError };
  }
}

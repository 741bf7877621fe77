import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@app/platform';
import { UsageError, runCommand } from '../../apps/cli/cli';
import { runCli } from '../support/cli';
import { REDIS_URL, TEST_DATABASE_URL, TEST_QUEUE_PREFIX } from '../support/env';

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

/** Runs `npm run -s cli -- ...` on this run's database and queue; returns exit code, stdout, stderr. */
export function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return runCli(args, { REDIS_URL, QUEUE_PREFIX: TEST_QUEUE_PREFIX, LOG_LEVEL: 'silent' });
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

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { TEST_DATABASE_URL } from './env';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');

/**
 * Runs `npm run -s cli -- ...` from the TypeScript sources in a process of its own, on this run's
 * database (plus `env`); returns its exit code, stdout and stderr.
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
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
          SECRET_KEY: 'cli-test-secret-cli-test-secret-0123456789',
          ...env,
        },
      },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

import 'reflect-metadata';
import { ConfigError, loadConfig } from '@app/platform';
import { UsageError, runCommand, usage } from './cli';

// JSON results go to stdout, errors and logs to stderr (CONTRACT.md).
async function main(): Promise<number> {
  try {
    const result = await runCommand(process.argv.slice(2), loadConfig());
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage()}`);
      return 2;
    }
    process.stderr.write(`${error instanceof ConfigError ? error.message : `error: ${(error as Error).message}`}\n`);
    return 1;
  }
}

void main().then((code) => process.exit(code));

import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  ConfigError,
  SecretBox,
  ServerSecret,
  TenancyService,
  dataSourceOptions,
  embeddedDatabaseUrl,
  loadConfig,
} from '@app/platform';
import { UsageError, parseRunOptions, runSimulator, usage } from '@app/simulator/runners';

// The realistic PBX traffic generator (docs/simulator.md). JSON summary on stdout, progress and
// errors on stderr; exit code 2 for usage errors, 1 for failures.
async function main(): Promise<number> {
  try {
    const options = parseRunOptions(process.argv.slice(2));
    if (options === 'help') {
      process.stdout.write(usage());
      return 0;
    }
    const config = loadConfig();
    // Like the operator CLI: DATABASE_URL, else the embedded server that `npm start` runs.
    const databaseUrl = options.databaseUrl ?? config.database.url ?? embeddedDatabaseUrl(config.embedded.postgresPort);
    const summary = await runSimulator(
      { ...options, databaseUrl },
      {
        tenancy: async () => {
          const ds = new DataSource(dataSourceOptions(databaseUrl, 2));
          await ds.initialize();
          const secret = ServerSecret.load(config.secretKey, join(config.embedded.dataDir, 'secret.key'));
          return {
            tenancy: new TenancyService(ds, new SecretBox(secret), config.ingest.digestRealm),
            close: () => ds.destroy(),
          };
        },
      },
    );
    process.stdout.write(`${JSON.stringify(summary)}\n`);
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

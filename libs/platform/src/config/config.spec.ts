import { availableParallelism } from 'node:os';
import { ConfigError, loadConfig, requireDatabaseUrl } from './config';

describe('loadConfig', () => {
  it('applies documented defaults to an empty environment', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({ host: '0.0.0.0', port: 3000, webhookBodyLimit: 1048576, trustProxy: false });
    expect(c.database).toEqual({ url: undefined, poolSize: 20, migrationsRun: true, appRolePassword: undefined });
    expect(c.queue).toEqual({ redisUrl: undefined, prefix: 'cdr' });
    expect(c.embedded).toEqual({ dataDir: './.data', postgresPort: 54329 });
    expect(c.eventStore).toEqual({ dedupRetentionDays: 35, partitionMonthsAhead: 3 });
    expect(c.ingest).toEqual({
      digestRealm: 'cdr-ingest',
      digestAlgorithms: ['SHA-256', 'MD5'],
      groupCommitMaxDelayMs: 2,
      groupCommitMaxEvents: 500,
      groupCommitMaxInFlight: 4,
      authMaxFailures: 10,
      wsiEnabled: true,
    });
    expect(c.secretKey).toBeUndefined();
    expect(c.projections).toEqual({
      partitions: 4,
      batchSize: 2000,
      rebuildBatchSize: 5000,
      rebuildProcesses: availableParallelism(),
      catchUpMs: 1000,
      doorbellIntervalMs: 10,
    });
    expect(c.exports).toEqual({
      dir: './.data/exports',
      retentionDays: 30,
      attempts: 3,
      backoffMs: 30000,
      concurrency: 2,
      minIntervalSeconds: 60,
    });
  });

  it('parses and checks the export settings', () => {
    const c = loadConfig({ EXPORT_DIR: '/srv/exports', EXPORT_RETENTION_DAYS: '7', EXPORT_ATTEMPTS: '1' });
    expect(c.exports).toMatchObject({ dir: '/srv/exports', retentionDays: 7, attempts: 1 });
    expect(() => loadConfig({ EXPORT_RETENTION_DAYS: '0' })).toThrow(
      'EXPORT_RETENTION_DAYS: expected at least 1 (got "0")',
    );
    expect(() => loadConfig({ EXPORT_ATTEMPTS: 'x' })).toThrow('EXPORT_ATTEMPTS: expected a whole number from 1 to 20');
  });

  it('parses and checks the group-commit settings', () => {
    const c = loadConfig({ GROUP_COMMIT_MAX_IN_FLIGHT: '8', GROUP_COMMIT_MAX_EVENTS: '1000' });
    expect(c.ingest).toMatchObject({ groupCommitMaxInFlight: 8, groupCommitMaxEvents: 1000 });
    expect(() => loadConfig({ GROUP_COMMIT_MAX_IN_FLIGHT: '0' })).toThrow(
      'GROUP_COMMIT_MAX_IN_FLIGHT: expected at least 1 (got "0")',
    );
    expect(() => loadConfig({ GROUP_COMMIT_MAX_IN_FLIGHT: '65' })).toThrow('GROUP_COMMIT_MAX_IN_FLIGHT');
  });

  it('parses and checks the projection batch sizes of workers and of rebuilds separately', () => {
    const c = loadConfig({ PROJECTION_BATCH_SIZE: '500', PROJECTION_REBUILD_BATCH_SIZE: '20000' });
    expect(c.projections).toMatchObject({ batchSize: 500, rebuildBatchSize: 20000 });
    expect(() => loadConfig({ PROJECTION_REBUILD_BATCH_SIZE: '0' })).toThrow(
      'PROJECTION_REBUILD_BATCH_SIZE: expected at least 1 (got "0")',
    );
    expect(() => loadConfig({ PROJECTION_REBUILD_BATCH_SIZE: '2.5' })).toThrow(
      'PROJECTION_REBUILD_BATCH_SIZE: expected a whole number from 1 to 100000',
    );
  });

  it('parses the Digest algorithms offered', () => {
    expect(loadConfig({ DIGEST_ALGORITHMS: 'md5' }).ingest.digestAlgorithms).toEqual(['MD5']);
    expect(loadConfig({ DIGEST_ALGORITHMS: 'MD5, SHA-256' }).ingest.digestAlgorithms).toEqual(['MD5', 'SHA-256']);
    expect(() => loadConfig({ DIGEST_ALGORITHMS: 'SHA-1' })).toThrow(
      'DIGEST_ALGORITHMS: expected SHA-256 and/or MD5, comma-separated',
    );
  });

  it('never echoes secrets in errors', () => {
    expect(() => loadConfig({ SECRET_KEY: 'short-secret' })).toThrow(
      'SECRET_KEY: expected at least 32 characters (e.g. openssl rand -base64 48)',
    );
    expect(() => loadConfig({ SECRET_KEY: 'short-secret' })).not.toThrow(/short-secret/);
    expect(() => loadConfig({ DIGEST_REALM: 'a"b' })).toThrow('DIGEST_REALM: must not contain quotes or backslashes');
  });

  it('parses given values', () => {
    const c = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/cdr',
      REDIS_URL: 'redis://127.0.0.1:6379',
      MIGRATIONS_RUN: 'false',
      LOG_LEVEL: 'debug',
    });
    expect(c.http.port).toBe(8080);
    expect(c.database.url).toBe('postgres://postgres@127.0.0.1:5432/cdr');
    expect(c.queue.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.database.migrationsRun).toBe(false);
    expect(c.logLevel).toBe('debug');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).database.url).toBeUndefined();
  });

  it('names every bad variable with the expected form', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', DEDUP_RETENTION_DAYS: '3', MIGRATIONS_RUN: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems).toContain('PORT: expected a whole number from 0 to 65535 (got "eighty")');
    expect(problems).toContain('DATABASE_URL: expected a URL like postgres://user@host:port/...');
    expect(problems).toContain('DEDUP_RETENTION_DAYS: expected at least 7 (got "3")');
    expect(problems).toContain('MIGRATIONS_RUN: expected true or false (got "maybe")');
  });

  it('requires DATABASE_URL for an app started alone', () => {
    expect(() => requireDatabaseUrl(loadConfig({}))).toThrow(/DATABASE_URL: required when an app runs alone/);
    expect(requireDatabaseUrl(loadConfig({ DATABASE_URL: 'postgres://h/db' }))).toBe('postgres://h/db');
  });
});

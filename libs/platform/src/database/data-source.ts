import { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations';
import { TENANCY_ENTITIES } from '../tenancy/tenancy.entities';

/** TypeORM options shared by the Nest module, `cli migrate` and tests. */
export function dataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [...TENANCY_ENTITIES],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    // A server that vanishes must fail requests (503) quickly, not hang them.
    extra: { max: poolSize, application_name: 'cdr-analytics', connectionTimeoutMillis: 5000, keepAlive: true },
  };
}

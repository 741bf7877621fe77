export * from './api-keys';
export * from './carrier-files.module';
export * from './cost';
export * from './graphql-api.module';
export * from './models';
export * from './tenant-db';

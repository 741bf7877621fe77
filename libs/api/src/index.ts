export * from './api-keys';
export * from './cost';
export * from './graphql-api.module';
export * from './models';
export * from './tenant-db';
export * from './export.models';
export * from './exports.resolver';
export * from './export-download.controller';

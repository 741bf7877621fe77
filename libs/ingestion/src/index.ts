export * from './delivery';
export * from './group-commit';
export * from './ingestion.errors';
export * from './ingestion.module';
export * from './ingestion.service';
export * from './source-directory';

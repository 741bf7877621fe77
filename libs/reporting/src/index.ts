export * from './intervals';
export * from './queue-stats.query';

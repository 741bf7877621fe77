export * from './queue-attempts.projection';
export * from './queue-attempts.reducer';
export * from './queue-stats';
export * from './queue-stats.writer';

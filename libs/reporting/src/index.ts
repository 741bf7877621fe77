export * from './intervals';
export * from './queue-stats.query';
export * from './agent-stats.query';
export * from './agent-timeline.query';
export * from './extensions.query';
export * from './calls.query';
export * from './reconciliation.query';
export * from './number-list';

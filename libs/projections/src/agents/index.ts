export * from './agent-segments.reducer';
export * from './agent-stats';
export * from './extension-directory.reducer';

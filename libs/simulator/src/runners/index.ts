export * from './options';
export * from './world-file';
export * from './sinks';
export * from './direct';
export * from './digest-client';
export * from './http';
export * from './run';

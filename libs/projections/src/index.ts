export * from './call-sessions/call-sessions.projection';
export * from './call-sessions/call-sessions.writer';
export * from './projections.module';
export * from './runner/doorbell';
export * from './runner/doorbell.module';
export * from './runner/projection';
export * from './runner/projection-runner';
export * from './runner/projection-scheduler';

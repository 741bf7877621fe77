/** The checkpoint moved since it was read: another runner applied the batch first. */
export class CheckpointConflictError extends Error {
  constructor(readonly name_: string) {
    super(`checkpoint "${name_}" was changed by another runner`);
    this.name = 'CheckpointConflictError';
  }
}

/** An event failed validation before reaching the database. */
export class InvalidEventError extends Error {
  constructor(
    readonly index: number,
    reason: string,
  ) {
    super(`event ${index}: ${reason}`);
    this.name = 'InvalidEventError';
  }
}

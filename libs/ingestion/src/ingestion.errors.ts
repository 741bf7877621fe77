/** Credentials missing or wrong; `challenge` holds the WWW-Authenticate values to send. */
export class AuthenticationFailedError extends Error {
  constructor(
    readonly reason: string,
    readonly challenge: string[] = [],
  ) {
    super(`authentication failed: ${reason}`);
    this.name = 'AuthenticationFailedError';
  }
}

/** Too many failed authentications from this address for this source. */
export class TooManyFailuresError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many failed authentications; retry later');
    this.name = 'TooManyFailuresError';
  }
}

/** The event store could not be reached or did not commit: nothing was acknowledged. */
export class StorageUnavailableError extends Error {
  constructor(cause: unknown) {
    super('storage unavailable', { cause });
    this.name = 'StorageUnavailableError';
  }
}

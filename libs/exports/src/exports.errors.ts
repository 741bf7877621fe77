/** An export that cannot be produced, for a reason retrying will not change. */
export class ExportUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportUnavailableError';
  }
}

/** No export run with this id for the caller's tenant (another tenant's run is not found either). */
export class ExportRunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`no export run ${runId}`);
    this.name = 'ExportRunNotFoundError';
  }
}

/** The run has no file to download: it is QUEUED, RUNNING or FAILED. */
export class ExportNotReadyError extends Error {
  constructor(
    readonly runId: string,
    readonly status: string,
  ) {
    super(
      status === 'FAILED'
        ? `export run ${runId} failed: there is no file`
        : `export run ${runId} is ${status}: download it once its status is SUCCEEDED`,
    );
    this.name = 'ExportNotReadyError';
  }
}

/** The run succeeded but its file is no longer there. */
export class ExportFileGoneError extends Error {
  constructor(readonly runId: string) {
    super(`the file of export run ${runId} is no longer available`);
    this.name = 'ExportFileGoneError';
  }
}

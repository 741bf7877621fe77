/**
 * Input to a billing operation was invalid. `field` names what was wrong: a CLI option, a GraphQL
 * argument or a CSV column; the message says why and what is expected.
 */
export class BillingInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'BillingInputError';
  }
}

/** An uploaded or streamed file was larger than the configured limit; nothing of it was kept. */
export class FileTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the file exceeds the limit of ${limitBytes} bytes; nothing was imported`);
    this.name = 'FileTooLargeError';
  }
}

/** No reconciliation run with that id for the tenant. */
export class UnknownReconciliationRunError extends Error {
  constructor(readonly runId: string) {
    super(`unknown reconciliation run ${runId}`);
    this.name = 'UnknownReconciliationRunError';
  }
}

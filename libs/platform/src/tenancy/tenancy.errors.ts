/** Input for a tenant or source was invalid; `problems` name each bad field. */
export class TenancyValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'TenancyValidationError';
  }
}

/** No tenant with that id. */
export class UnknownTenantError extends Error {
  constructor(readonly tenantId: string) {
    super(`unknown tenant ${tenantId}`);
    this.name = 'UnknownTenantError';
  }
}

/** No source with that id, or it is disabled. */
export class UnknownSourceError extends Error {
  constructor(readonly sourceId: string) {
    super(`unknown or disabled source ${sourceId}`);
    this.name = 'UnknownSourceError';
  }
}

/**
 * Domain errors of the auth module. They describe operator or programming mistakes (a secret that
 * cannot be stored, stored credentials that do not fit the source), never a client's bad
 * credentials: those are ordinary `{ ok: false }` results, because a wrong password is expected input.
 */

/** A secret given to `hashSourceSecret` cannot be used with the chosen method. */
export class InvalidSecretError extends Error {
  override readonly name = 'InvalidSecretError';
}

/** Stored credentials are unreadable or do not match the source's method or the server's realm. */
export class CredentialConfigurationError extends Error {
  override readonly name = 'CredentialConfigurationError';
}

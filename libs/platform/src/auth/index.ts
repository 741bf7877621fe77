export {
  AUTH_METHODS,
  DEFAULT_REALM,
  DEFAULT_SCRYPT_PARAMS,
  computeHa1,
  hashPassword,
  hashSourceSecret,
  isAuthMethod,
  parseStoredCredentials,
  verifyBasicCredentials,
  verifyPassword,
  verifyToken,
} from './credentials';
export type {
  AuthMethod,
  BasicCheck,
  BasicCredentials,
  BearerCredentials,
  DigestAlgorithm,
  DigestCredentials,
  DigestHa1,
  NoneCredentials,
  ScryptParams,
  SourceSecrets,
  StoredCredentials,
  TokenCredentials,
} from './credentials';
export { DigestAuthenticator } from './digest';
export type {
  DigestAuthenticatorOptions,
  DigestFailureReason,
  DigestVerifyContext,
  DigestVerifyResult,
} from './digest';
export { PBX_TOKEN_HEADER, SourceAuthenticator, countsAsFailure } from './source-authenticator';
export type {
  AuthFailureReason,
  AuthOutcome,
  SourceAuthenticatorOptions,
  WebhookRequest,
} from './source-authenticator';
export { FailureThrottle, normaliseRemoteAddress } from './failure-throttle';
export type { FailureThrottleOptions, ThrottleDecision } from './failure-throttle';
export { CredentialConfigurationError, InvalidSecretError } from './errors';

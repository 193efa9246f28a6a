export * from './api-key';
export * from './jwt';
export * from './oidc';
export * from './password';
export * from './secret-box';
export * from './tokens';
export {
  generateRecoveryCodes,
  generateTotpSecret,
  hashRecoveryCode,
  normalizeRecoveryCode,
  otpauthUri,
  TOTP_DEFAULT_WINDOW,
  TOTP_DIGITS,
  TOTP_PERIOD_SECONDS,
  TOTP_SECRET_BYTES,
  totpAt,
  totpStep,
  type VerifyTotpOptions,
  verifyTotp,
} from './totp';

/**
 * One error vocabulary for the whole API. Packages throw `AppError`; the API's error handler turns
 * every error into the response envelope with the status from `ERROR_STATUS`.
 */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  MALFORMED_JSON: 400,
  /** An SSO callback whose `state` is unknown, expired, already used or for another provider. */
  SSO_STATE_INVALID: 400,
  /** The identity provider answered the authorization request with an error (`details.error`). */
  SSO_AUTHORIZATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  MFA_REQUIRED: 401,
  INVALID_MFA_CODE: 401,
  /** The provider's ID token failed verification (signature, issuer, audience, expiry or nonce). */
  SSO_ID_TOKEN_INVALID: 401,
  INSUFFICIENT_TOKENS: 402,
  FORBIDDEN: 403,
  INSUFFICIENT_SCOPE: 403,
  /** A plan quota (documents, bots, storage) is reached: `details.quota`, `limit`, `used`. */
  QUOTA_EXCEEDED: 403,
  /** The provider did not vouch for the email address: it is never linked or used. */
  SSO_EMAIL_NOT_VERIFIED: 403,
  /** No invitation and no verified-domain rule places this new SSO identity in an organization. */
  SSO_NO_ORGANIZATION: 403,
  /** The organization requires single sign-on: password sign-in to it is refused. */
  SSO_REQUIRED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  IDEMPOTENCY_CONFLICT: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  /** The account is already linked to another identity at this provider. */
  SSO_IDENTITY_CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  /** An archive (DOCX, XLSX, PPTX, ZIP) that cannot be read safely: damaged, encrypted, path tricks, lying sizes. */
  ARCHIVE_UNSAFE: 422,
  /** The domain's DNS TXT record with the verification token was not found. */
  DOMAIN_NOT_VERIFIED: 422,
  UPGRADE_REQUIRED: 426,
  RATE_LIMITED: 429,
  TOO_MANY_ATTEMPTS: 429,
  INTERNAL_ERROR: 500,
  /** The identity provider could not be reached or answered something unusable. */
  SSO_PROVIDER_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  /** Payments are not set up on this deployment (no Stripe keys). */
  BILLING_NOT_CONFIGURED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details?: Record<string, unknown>;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You do not have permission to do this') => new AppError('FORBIDDEN', message);
export const unauthenticated = (message = 'Authentication required') => new AppError('UNAUTHENTICATED', message);
export const invalidToken = (message = 'Invalid or expired token') => new AppError('INVALID_TOKEN', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new AppError('CONFLICT', message, { details });
export const validationError = (message: string, fields: Record<string, string[]>) =>
  new AppError('VALIDATION_ERROR', message, { details: { fields } });

/**
 * What every PAYLOAD_TOO_LARGE carries: the cap and the actual figure, in the same unit (bytes,
 * characters, rows, pages, entries...). Producers may add fields, e.g. a `reason` clients branch on
 * (TOO_LARGE, ARCHIVE_TOO_LARGE) or what was measured.
 */
export type PayloadTooLargeDetails = { limit: number; actual: number } & Record<string, unknown>;

/** 413 PAYLOAD_TOO_LARGE with `{ limit, actual, ...extra }` details; the base of the packages' own. */
export class PayloadTooLargeError extends AppError {
  declare readonly details: PayloadTooLargeDetails;

  constructor(message: string, details: PayloadTooLargeDetails, options: { cause?: unknown } = {}) {
    super('PAYLOAD_TOO_LARGE', message, { details, cause: options.cause });
  }
}

export const payloadTooLarge = (message: string, details: PayloadTooLargeDetails, options: { cause?: unknown } = {}) =>
  new PayloadTooLargeError(message, details, options);

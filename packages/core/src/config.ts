/**
 * Configuration from Worker vars. Parsed once per env object (the runtime reuses it across
 * requests in an isolate), so reading config costs nothing per request.
 */
export const PLANS = ['free', 'pro', 'enterprise'] as const;
export type Plan = (typeof PLANS)[number];

/** A token bucket that holds `per_minute` requests and refills at `per_minute` per minute. */
export interface RateLimitRule {
  per_minute: number;
}

export interface AppConfig {
  environment: 'development' | 'test' | 'production';
  issuer: string;
  audience: string;
  appUrl: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /**
   * Seconds after a refresh token is spent in which presenting it again returns the same successor
   * (two tabs refreshing at once) instead of counting as theft. 0 turns the grace off; at most 60.
   */
  refreshGraceSeconds: number;
  passwordResetTtlSeconds: number;
  invitationTtlSeconds: number;
  rateLimits: Record<Plan, RateLimitRule>;
  /**
   * The fraction (0 < share ≤ 1) of its tenant's per-minute limit one credential (a user's sessions,
   * or one API key) may spend, so a single runaway client cannot lock out its organization.
   */
  rateLimitCredentialShare: number;
  /** Unauthenticated POSTs (register, login, password reset, …) per client IP. */
  publicRateLimit: RateLimitRule;
  login: LoginThrottle;
  maxBodyBytes: number;
  /**
   * Whether `CF-Connecting-IP` is the client's address. Only behind Cloudflare's edge (production),
   * which overwrites it; anywhere else a client can send it, so it is ignored.
   */
  trustCfConnectingIp: boolean;
  /** Dev-only routes (the mail outbox) exist only outside production. */
  devRoutes: boolean;
  /**
   * The built-in OIDC issuer (SSO provider `local`) is served: only with `SSO_LOCAL_ISSUER = "true"`,
   * which only the local and test configurations set, and never when the environment is production.
   */
  ssoLocalIssuer: boolean;
}

/**
 * Failed sign-ins (wrong password or second-factor code). Per account and IP: `freeFailures` in the
 * window cost nothing, then each failure doubles the wait (1 s, 2 s, 4 s, … up to `maxDelaySeconds`).
 * Per account from every IP: a generous ceiling against distributed guessing. Per IP: a ceiling
 * against spraying many accounts. A known device (one that completed a sign-in) is never held back by
 * what others did; it has its own budget of `maxDeviceFailures` in a row, after which it is forgotten.
 */
export interface LoginThrottle {
  freeFailures: number;
  maxDelaySeconds: number;
  maxFailuresPerAccount: number;
  maxFailuresPerIp: number;
  maxDeviceFailures: number;
  windowSeconds: number;
  knownDeviceTtlSeconds: number;
}

export interface ConfigVars {
  ENVIRONMENT?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  APP_URL?: string;
  RATE_LIMITS?: string;
  RATE_LIMIT_CREDENTIAL_SHARE?: string;
  PUBLIC_RATE_LIMIT_PER_MINUTE?: string;
  LOGIN_FREE_FAILURES?: string;
  LOGIN_MAX_FAILURES_PER_ACCOUNT?: string;
  LOGIN_MAX_FAILURES_PER_IP?: string;
  MAX_BODY_BYTES?: string;
  TRUST_CF_CONNECTING_IP?: string;
  REFRESH_REUSE_GRACE_SECONDS?: string;
  SSO_LOCAL_ISSUER?: string;
}

export const DEFAULT_RATE_LIMITS: Record<Plan, RateLimitRule> = {
  free: { per_minute: 120 },
  pro: { per_minute: 1200 },
  enterprise: { per_minute: 6000 },
};

const int = (value: string | undefined, fallback: number, min = 1): number => {
  const n = Number(value);
  return Number.isInteger(n) && n >= min ? n : fallback;
};

export const DEFAULT_CREDENTIAL_SHARE = 0.5;

/** A decimal fraction in (0, 1]; anything else (empty, 0, above 1, `50%`, hex) is the fallback. */
const fraction = (value: string | undefined, fallback: number): number => {
  const text = value?.trim() ?? '';
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return fallback;
  const n = Number(text);
  return n > 0 && n <= 1 ? n : fallback;
};

/** Only the literal `true` turns a trust on: a typo must not trust what a client sends. */
const flag = (value: string | undefined): boolean => value?.trim().toLowerCase() === 'true';

const parseRateLimits = (raw: string | undefined): Record<Plan, RateLimitRule> => {
  if (!raw) return DEFAULT_RATE_LIMITS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error('RATE_LIMITS is not valid JSON');
  }
  const out = { ...DEFAULT_RATE_LIMITS };
  for (const plan of PLANS) {
    const rule = (parsed as Record<string, Partial<RateLimitRule>>)?.[plan];
    if (rule) {
      out[plan] = { per_minute: int(String(rule.per_minute), out[plan].per_minute) };
    }
  }
  return out;
};

const cache = new WeakMap<object, AppConfig>();

export const loadConfig = (vars: ConfigVars): AppConfig => {
  const cached = cache.get(vars);
  if (cached) return cached;
  const environment =
    vars.ENVIRONMENT === 'development' || vars.ENVIRONMENT === 'test' ? vars.ENVIRONMENT : 'production';
  const config: AppConfig = {
    environment,
    issuer: vars.JWT_ISSUER || 'https://api.flowspark.dev',
    audience: vars.JWT_AUDIENCE || 'flowspark-api',
    appUrl: vars.APP_URL || 'http://localhost:8787',
    accessTokenTtlSeconds: 15 * 60,
    refreshTokenTtlSeconds: 30 * 24 * 3600,
    refreshGraceSeconds: Math.min(int(vars.REFRESH_REUSE_GRACE_SECONDS || undefined, 10, 0), 60),
    passwordResetTtlSeconds: 3600,
    invitationTtlSeconds: 7 * 24 * 3600,
    rateLimits: parseRateLimits(vars.RATE_LIMITS),
    rateLimitCredentialShare: fraction(vars.RATE_LIMIT_CREDENTIAL_SHARE, DEFAULT_CREDENTIAL_SHARE),
    publicRateLimit: { per_minute: int(vars.PUBLIC_RATE_LIMIT_PER_MINUTE, 30) },
    login: {
      freeFailures: int(vars.LOGIN_FREE_FAILURES, 5),
      maxDelaySeconds: 15 * 60,
      maxFailuresPerAccount: int(vars.LOGIN_MAX_FAILURES_PER_ACCOUNT, 100),
      maxFailuresPerIp: int(vars.LOGIN_MAX_FAILURES_PER_IP, 50),
      maxDeviceFailures: 10,
      windowSeconds: 15 * 60,
      knownDeviceTtlSeconds: 90 * 24 * 3600,
    },
    maxBodyBytes: int(vars.MAX_BODY_BYTES, 1024 * 1024),
    trustCfConnectingIp: flag(vars.TRUST_CF_CONNECTING_IP),
    devRoutes: environment !== 'production',
    ssoLocalIssuer: environment !== 'production' && flag(vars.SSO_LOCAL_ISSUER),
  };
  cache.set(vars, config);
  return config;
};

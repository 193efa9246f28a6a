import type { ConfigVars } from '@flowspark/core';
import type { RateLimiter } from './realtime/rate-limiter';

/** The Worker's bindings. AI and VECTORIZE exist only in production (wrangler.production.toml). */
export interface Env extends ConfigVars {
  DB: D1Database;
  FILES: R2Bucket;
  JOBS: Queue<JobMessage>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Private JWK (ES256) that signs access tokens. */
  JWT_PRIVATE_KEY: string;
  /** Older public JWKs (JSON array) still accepted during key rotation. */
  JWT_PUBLIC_KEYS?: string;
  /** Key material for secrets encrypted at rest (TOTP secrets, idempotent replays). */
  ENCRYPTION_KEY: string;
  MAILER?: string;
  MAIL_WEBHOOK_URL?: string;
  AI?: unknown;
  VECTORIZE?: unknown;
}

/** Queue messages carry ids only; payloads live in D1 or R2. */
export interface JobMessage {
  job_id: string;
  tenant_id: string;
}

import { type Actor, type AppConfig, AppError } from '@flowspark/core';
import type { AdmitResult, BucketRequest } from '../../objects/rate-limiter';
import type { AppContext } from '../lib/context';
import { gateLeases } from '../lib/gate-leases';

/**
 * Who is asking the tenant gate: the caller's organization, plan and credential (an access token,
 * an API key or a feed ticket), and when its token was issued. For an API key the key, not its
 * creator, is the credential; its own limit applies when lower than its plan's.
 */
export type GatePrincipal = Pick<Actor, 'orgId' | 'plan' | 'userId' | 'sessionId' | 'apiKeyId'> &
  Partial<Pick<Actor, 'apiKeyRateLimitPerMinute'>> & {
    /** Seconds since the epoch; compared with the user's token invalidation time. */
    issuedAt: number | null;
  };

/**
 * The buckets a request is counted against: the tenant's, and under it the credential's own share of
 * it (`usr:<id>` for a person's sessions, `key:<id>` for an API key), so that one runaway script or
 * user spends at most that share and the rest of the organization keeps working. A key with its own,
 * lower limit keeps the lower one.
 */
export const gateBuckets = (config: AppConfig, principal: GatePrincipal): BucketRequest[] => {
  const tenantLimit = config.rateLimits[principal.plan].per_minute;
  const share = Math.max(1, Math.floor(tenantLimit * config.rateLimitCredentialShare));
  const own = principal.apiKeyRateLimitPerMinute;
  const credential: BucketRequest = principal.apiKeyId
    ? { key: `key:${principal.apiKeyId}`, per_minute: own ? Math.min(own, share) : share }
    : { key: `usr:${principal.userId}`, per_minute: share };
  return [{ key: 'tenant', per_minute: tenantLimit }, credential];
};

/**
 * The tenant gate's admission, for `authenticate` and for callers that do not come through it (a
 * WebSocket opened with a ticket): the request is counted against the tenant's and the credential's
 * buckets, and refused when the session, token or API key was revoked. Most requests spend a token of
 * this isolate's lease on the gate object and make no call at all (`gate-leases.ts`); then the
 * RateLimit-* headers (the most restrictive bucket) and the errors.
 */
export const admitThroughGate = async (c: AppContext, principal: GatePrincipal): Promise<void> => {
  const started = performance.now();
  const verdict = await gateLeases.admit(
    (orgId) => c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(orgId)),
    {
      orgId: principal.orgId,
      buckets: gateBuckets(c.get('config'), principal),
      sessionId: principal.sessionId,
      apiKeyId: principal.apiKeyId,
      userId: principal.userId,
      issuedAt: principal.issuedAt,
    },
    (promise) => c.executionCtx.waitUntil(promise),
  );
  c.get('timings').ratelimit = performance.now() - started;
  if (verdict.revoked) {
    throw new AppError(
      'INVALID_TOKEN',
      principal.apiKeyId ? 'API key is invalid, revoked or expired' : 'Session has been revoked or the token is stale',
    );
  }
  applyRateLimitVerdict(c, verdict, 'Too many requests; slow down');
};

/** RateLimit-* headers from a gate verdict (error responses carry them too), and 429 when refused. */
export const applyRateLimitVerdict = (c: AppContext, verdict: AdmitResult, message: string): void => {
  const headers = c.get('responseHeaders');
  headers['RateLimit-Limit'] = String(verdict.limit);
  headers['RateLimit-Remaining'] = String(verdict.remaining);
  headers['RateLimit-Reset'] = String(verdict.resetSeconds);
  if (!verdict.allowed) {
    throw new AppError('RATE_LIMITED', message, {
      details: { retry_after_seconds: verdict.retryAfterSeconds },
      headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
    });
  }
};

import { AppError, type Plan } from '@flowspark/core';
import type { BucketRequest } from '../../realtime/rate-limiter';
import type { AppContext } from '../lib/context';

export interface GatePrincipal {
  tenantId: string;
  plan: Plan;
  userId: string;
  sessionId: string | null;
  /** Seconds since the epoch; compared with the user's token invalidation time. */
  issuedAt: number | null;
}

/**
 * The tenant gate's admission (rate limit + revocation) for callers that do not come through
 * `authenticate` (a WebSocket opened with a ticket): the same one Durable Object call, the same
 * headers and errors.
 */
export const admitThroughGate = async (c: AppContext, principal: GatePrincipal): Promise<void> => {
  const buckets: BucketRequest[] = [
    { key: 'tenant', per_minute: c.get('config').rateLimits[principal.plan].per_minute },
  ];
  const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(principal.tenantId));
  const verdict = await stub.admit({
    buckets,
    sessionId: principal.sessionId,
    userId: principal.userId,
    issuedAt: principal.issuedAt,
  });
  if (verdict.revoked) throw new AppError('INVALID_TOKEN', 'Session has been revoked or the token is stale');
  const headers = c.get('responseHeaders');
  headers['RateLimit-Limit'] = String(verdict.limit);
  headers['RateLimit-Remaining'] = String(verdict.remaining);
  headers['RateLimit-Reset'] = String(verdict.resetSeconds);
  if (!verdict.allowed) {
    throw new AppError('RATE_LIMITED', 'Too many requests; slow down', {
      details: { retry_after_seconds: verdict.retryAfterSeconds },
      headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
    });
  }
};

import { AppError } from '@flowspark/core';
import type { MiddlewareHandler } from 'hono';
import { type AppEnv, clientIp } from '../lib/context';

/**
 * Unauthenticated POSTs (register, login, refresh, password reset, MFA challenge, invitation
 * acceptance) are limited per client IP through a gate Durable Object named after the IP: they
 * create accounts, send mail or check secrets, so they are worth one Durable Object call.
 */
export const ipRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  const rule = c.get('config').publicRateLimit;
  const stub = c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(`ip:${clientIp(c)}`));
  const verdict = await stub.admit({ buckets: [{ key: 'public', per_minute: rule.per_minute }] });
  c.get('timings').ratelimit = Date.now() - started;
  const headers = c.get('responseHeaders');
  headers['RateLimit-Limit'] = String(verdict.limit);
  headers['RateLimit-Remaining'] = String(verdict.remaining);
  headers['RateLimit-Reset'] = String(verdict.resetSeconds);
  if (!verdict.allowed) {
    throw new AppError('RATE_LIMITED', 'Too many requests from this address; slow down', {
      details: { retry_after_seconds: verdict.retryAfterSeconds },
      headers: { 'Retry-After': String(verdict.retryAfterSeconds) },
    });
  }
  await next();
};

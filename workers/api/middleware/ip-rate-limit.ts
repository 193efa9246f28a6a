import type { MiddlewareHandler } from 'hono';
import { type AppEnv, clientIp } from '../lib/context';
import { applyRateLimitVerdict } from './gate';

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
  applyRateLimitVerdict(c, verdict, 'Too many requests from this address; slow down');
  await next();
};

import { isValidRequestId, loadConfig, newId } from '@flowspark/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../lib/context';

/**
 * Outermost middleware: request id, config, and the headers every response carries, error
 * responses included (they are added after the handler and the error handler have run).
 */
export const requestContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header('x-request-id');
  const requestId = isValidRequestId(incoming) ? incoming : newId('req');
  c.set('requestId', requestId);
  c.set('config', loadConfig(c.env));
  c.set('responseHeaders', {});
  c.set('timings', {});
  await next();
  const headers = c.res.headers;
  headers.set('X-Request-Id', requestId);
  for (const [name, value] of Object.entries(c.get('responseHeaders'))) headers.set(name, value);
  const timings = Object.entries(c.get('timings'));
  if (timings.length > 0) headers.set('Server-Timing', timings.map(([name, ms]) => `${name};dur=${ms}`).join(', '));
  if (!headers.has('Cache-Control')) headers.set('Cache-Control', 'no-store');
  headers.set('X-Content-Type-Options', 'nosniff');
};

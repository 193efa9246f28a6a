import { AppError } from '@flowspark/core';
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { bodyLimit } from '../middleware/body-limit';
import { notFound, onError } from '../middleware/errors';
import { requestContext } from '../middleware/request-context';
import type { AppEnv } from './context';

type ZodIssueLike = { path: PropertyKey[]; message: string };

/** Failing fields keyed by their dotted path, e.g. `{ "email": ["Invalid email"] }`. */
export const fieldErrors = (issues: readonly ZodIssueLike[]): Record<string, string[]> => {
  const fields: Record<string, string[]> = {};
  for (const issue of issues) {
    const path = issue.path.map(String).join('.') || '(body)';
    let message = issue.message;
    if ('code' in issue && issue.code === 'unrecognized_keys' && 'keys' in issue) {
      message = `Unknown field(s): ${(issue.keys as string[]).join(', ')}`;
    }
    const list = fields[path] ?? [];
    list.push(message);
    fields[path] = list;
  }
  return fields;
};

/**
 * Every route group is an OpenAPIHono app with the same middleware stack, so every route shares one
 * contract: request id, config, CORS, body limit, validation errors and the error envelope.
 */
export const createGroup = (basePath = '/api/v1') => {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError('VALIDATION_ERROR', 'Request validation failed', {
          details: { fields: fieldErrors(result.error.issues) },
        });
      }
    },
  });
  app.use('*', requestContext);
  app.use(
    '*',
    cors({
      origin: '*',
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposeHeaders: [
        'X-Request-Id',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
        'Retry-After',
        'Idempotent-Replayed',
      ],
      maxAge: 600,
    }),
  );
  app.use('*', bodyLimit);
  // basePath() clones the app without its not-found handler, so both handlers are set on the clone.
  const based = app.basePath(basePath);
  based.onError(onError);
  based.notFound(notFound);
  return based;
};

export type GroupApp = ReturnType<typeof createGroup>;

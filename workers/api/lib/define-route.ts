import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { type AccessRule, authenticate } from '../middleware/authenticate';
import { idempotency } from '../middleware/idempotency';
import { ipRateLimit } from '../middleware/ip-rate-limit';
import type { AppEnv } from './context';
import { errorResponses } from './schemas';

export type Access = 'public' | AccessRule;

type RouteInput = Omit<RouteConfig, 'middleware' | 'security'> & {
  /** Extra middleware that runs after authentication (public routes: before validation). */
  middleware?: MiddlewareHandler<AppEnv>[];
};

const PUBLIC_ERRORS = [400, 429, 500];
const AUTHENTICATED_ERRORS = [400, 401, 403, 429, 500];

/**
 * A route contract with the house rules applied: authentication, rate limiting and scopes for
 * non-public routes, Idempotency-Key on authenticated POSTs, a per-IP limit on public POSTs, the
 * bearer security scheme, and the shared error responses in the OpenAPI document.
 */
export const defineRoute = <const R extends RouteInput>(access: Access, route: R) => {
  const isPublic = access === 'public';
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if (!isPublic) middleware.push(authenticate(access));
  if (route.method === 'post') middleware.push(isPublic ? ipRateLimit : idempotency);
  middleware.push(...(route.middleware ?? []));
  const errors = errorResponses(isPublic ? PUBLIC_ERRORS : AUTHENTICATED_ERRORS);
  return createRoute({
    ...route,
    middleware,
    security: isPublic ? [] : [{ bearerAuth: [] }],
    responses: { ...errors, ...route.responses },
  }) as R & { middleware: MiddlewareHandler<AppEnv>[]; security: { bearerAuth: string[] }[] };
};

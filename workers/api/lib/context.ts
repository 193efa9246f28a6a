import type { Actor, AppConfig } from '@flowspark/core';
import { createDb, type Database } from '@flowspark/db';
import type { Context } from 'hono';
import type { Env } from '../../env';

export interface AppVariables {
  requestId: string;
  config: AppConfig;
  /** The authenticated caller; set by `authenticate`. */
  auth: Actor;
  /** Added to every response, including error responses (rate-limit headers). */
  responseHeaders: Record<string, string>;
  /** Server-Timing entries: name → milliseconds. */
  timings: Record<string, number>;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppContext = Context<AppEnv>;

/** What a route hands to services: never the Hono context itself. */
export interface RequestContext {
  env: Env;
  config: AppConfig;
  requestId: string;
  waitUntil: (promise: Promise<unknown>) => void;
}

/** A request's context for an authenticated route: the database and the caller besides the rest. */
export interface RouteContext extends RequestContext {
  db: Database;
  /** The authenticated caller; reading it on a public route is a programming error. */
  actor: Actor;
}

export const requestContext = (c: AppContext): RequestContext => ({
  env: c.env,
  config: c.get('config'),
  requestId: c.get('requestId'),
  waitUntil: (promise) => c.executionCtx.waitUntil(promise),
});

/**
 * `{ db, actor, config, env, requestId, waitUntil }` for a route: the one place routes get D1 and the
 * caller from, instead of `createDb(c.env.DB)` and `c.get('auth')` in every handler.
 */
export const routeContext = (c: AppContext): RouteContext => ({
  ...requestContext(c),
  db: createDb(c.env.DB),
  get actor() {
    const actor = c.get('auth');
    if (!actor) throw new Error('routeContext(c).actor read on a route without authenticate()');
    return actor;
  },
});

/**
 * The address the local server listens on. A Worker has no socket API of its own: locally the
 * runtime fills `CF-Connecting-IP` from the socket only when the client did not send one, so there
 * the header says whatever the client wants and every caller counts as this one address.
 */
export const LOOPBACK_IP = '127.0.0.1';

/**
 * The caller's IP, for login throttling, per-IP limits and the address recorded on sessions. Behind
 * Cloudflare (`TRUST_CF_CONNECTING_IP = "true"`, the production configuration) the edge overwrites
 * `CF-Connecting-IP` with the real client address; anywhere else it, like `X-Forwarded-For` and the
 * rest, comes from the client and is ignored.
 */
export const clientIp = (c: AppContext): string =>
  (c.get('config').trustCfConnectingIp && c.req.header('cf-connecting-ip')) || LOOPBACK_IP;

import type { AppConfig, Plan, Role, Scope } from '@flowspark/core';
import type { Context } from 'hono';
import type { Env } from '../../env';

/** Who is calling: a person through an access token, or an API key acting for its creator. */
export interface AuthContext {
  kind: 'user' | 'api_key';
  tenantId: string;
  userId: string;
  role: Role;
  plan: Plan;
  sessionId: string | null;
  apiKeyId: string | null;
  /** An API key's own per-minute limit, when it has one; carried into feed tickets it issues. */
  apiKeyRateLimitPerMinute: number | null;
  scopes: ReadonlySet<Scope>;
}

export interface AppVariables {
  requestId: string;
  config: AppConfig;
  auth: AuthContext;
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

/** The explicit context package functions receive: never the Hono context itself. */
export interface RequestContext {
  env: Env;
  config: AppConfig;
  requestId: string;
  waitUntil: (promise: Promise<unknown>) => void;
}

export const requestContext = (c: AppContext): RequestContext => ({
  env: c.env,
  config: c.get('config'),
  requestId: c.get('requestId'),
  waitUntil: (promise) => c.executionCtx.waitUntil(promise),
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

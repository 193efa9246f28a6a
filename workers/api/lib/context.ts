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

/** The caller's IP as Cloudflare reports it; locally there is none. */
export const clientIp = (c: AppContext): string => c.req.header('cf-connecting-ip') ?? '127.0.0.1';

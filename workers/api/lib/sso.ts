import type { FetchPort } from '@flowspark/auth';
import { AppError } from '@flowspark/core';
import { type LocalIssuerConfig, loadSsoConfig, type SsoContext } from '@flowspark/sso';
import type { MiddlewareHandler } from 'hono';
import { handleFetch } from '../app';
import type { AppContext, AppEnv } from './context';
import { identityContext } from './identity';

/**
 * Every request to an identity provider goes through here. The local issuer is this Worker's own
 * route group, called in-process (a Worker cannot fetch its own URL, and dev and tests have no
 * network); any other issuer is fetched. Tests put an interceptor in front to stand in for a
 * provider or to alter what the local issuer answers.
 */
export type SsoInterceptor = (request: Request, next: (request: Request) => Promise<Response>) => Promise<Response>;

let interceptor: SsoInterceptor | null = null;

export const setSsoInterceptor = (fn: SsoInterceptor | null) => {
  interceptor = fn;
};

const providerFetch = (c: AppContext, local: LocalIssuerConfig | null): FetchPort => {
  const next = (request: Request): Promise<Response> =>
    local && request.url.startsWith(`${local.issuer}/`)
      ? handleFetch(request, c.env, c.executionCtx as Parameters<typeof handleFetch>[2])
      : fetch(request);
  return (input, init) => {
    const request = new Request(input, init);
    return interceptor ? interceptor(request, next) : next(request);
  };
};

/** The identity context plus the SSO configuration and the provider port. */
export const ssoContext = (c: AppContext): SsoContext => {
  const sso = loadSsoConfig(c.env, c.get('config'));
  // Assigned, not spread: the identity context's mailer is a getter that must stay lazy.
  return Object.assign(identityContext(c), { sso, fetch: providerFetch(c, sso.local) });
};

/** The local issuer's configuration; 404 like an unknown route wherever it is not served. */
export const localIssuer = (c: AppContext): LocalIssuerConfig => {
  const local = c.get('config').ssoLocalIssuer ? loadSsoConfig(c.env, c.get('config')).local : null;
  if (!local) throw new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`);
  return local;
};

/** Before validation, so where the local issuer is not served its routes are 404 whatever the request. */
export const localIssuerOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  localIssuer(c);
  await next();
};

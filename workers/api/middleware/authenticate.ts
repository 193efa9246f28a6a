import { hashApiKey, loadSigningKeys, looksLikeApiKey, verifyAccessToken } from '@flowspark/auth';
import type { Actor } from '@flowspark/core';
import { AppError, isRole, isScope, PLANS, type Plan, ROLE_SCOPES, type Scope, unauthenticated } from '@flowspark/core';
import { createDb, findApiKeyPrincipal } from '@flowspark/db';
import type { MiddlewareHandler } from 'hono';
import { cachedApiKey, rememberApiKey, shareApiKey, sharedApiKey } from '../lib/api-key-cache';
import type { AppEnv } from '../lib/context';
import { admitThroughGate } from './gate';

export interface AccessRule {
  /** The scope the route needs; people get scopes from their role, keys from their own list. */
  scope?: Scope;
  /** Routes that manage credentials themselves (sessions, password) refuse API keys. */
  apiKeys?: boolean;
}

/** Last-used times are written at most once a minute per key, off the request path. */
const TOUCH_INTERVAL_MS = 60_000;

const bearerToken = (header: string | undefined): string => {
  if (!header) throw unauthenticated();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError('UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"');
  return match[1]!;
};

const asPlan = (value: string): Plan => ((PLANS as readonly string[]).includes(value) ? (value as Plan) : 'free');

/**
 * Authenticates the caller, then makes the one Durable Object call a request needs: it counts the
 * request against the tenant's rate limit and the credential's share of it, and checks that the
 * session was not revoked.
 */
export const authenticate =
  (rule: AccessRule = {}): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const started = Date.now();
    const token = bearerToken(c.req.header('authorization'));
    const config = c.get('config');
    let auth: Actor;
    let issuedAt: number | null = null;

    if (looksLikeApiKey(token)) {
      const keyHash = await hashApiKey(token);
      const now = new Date();
      let key = cachedApiKey(keyHash, now.getTime()) ?? (await sharedApiKey(keyHash, now.getTime()));
      if (!key) {
        key = await findApiKeyPrincipal(createDb(c.env.DB), keyHash);
        if (key) {
          rememberApiKey(keyHash, key, now.getTime());
          c.executionCtx.waitUntil(shareApiKey(keyHash, key, now.getTime()).catch(() => undefined));
        }
      }
      if (!key || (key.expiresAt && key.expiresAt <= now.toISOString())) {
        throw new AppError('INVALID_TOKEN', 'API key is invalid, revoked or expired');
      }
      const roleScopes = new Set<Scope>(ROLE_SCOPES[key.role]);
      auth = {
        kind: 'api_key',
        orgId: key.orgId,
        userId: key.userId,
        role: key.role,
        plan: asPlan(key.plan),
        sessionId: null,
        apiKeyId: key.id,
        apiKeyRateLimitPerMinute: key.rateLimitPerMinute,
        scopes: new Set(key.scopes.filter((s): s is Scope => isScope(s) && roleScopes.has(s))),
      };
      if (!key.lastUsedAt || now.getTime() - Date.parse(key.lastUsedAt) > TOUCH_INTERVAL_MS) {
        // The cached copy carries the new time too, so a warm key is not touched on every request.
        key.lastUsedAt = now.toISOString();
        const { touchApiKey } = await import('@flowspark/db');
        c.executionCtx.waitUntil(touchApiKey(createDb(c.env.DB), key.id, now.toISOString()).catch(() => undefined));
      }
    } else {
      const keys = await loadSigningKeys(c.env);
      const claims = await verifyAccessToken(keys, token, { issuer: config.issuer, audience: config.audience });
      if (!isRole(claims.role)) throw new AppError('INVALID_TOKEN', 'Invalid or expired token');
      auth = {
        kind: 'user',
        orgId: claims.tid,
        userId: claims.sub,
        role: claims.role,
        plan: asPlan(claims.plan),
        sessionId: claims.sid,
        apiKeyId: null,
        apiKeyRateLimitPerMinute: null,
        scopes: new Set(ROLE_SCOPES[claims.role]),
      };
      issuedAt = claims.iat;
    }
    c.get('timings').auth = Date.now() - started;

    if (auth.kind === 'api_key' && rule.apiKeys === false) {
      throw new AppError('FORBIDDEN', 'This route needs a signed-in user; API keys cannot use it');
    }

    await admitThroughGate(c, { ...auth, issuedAt });
    if (rule.scope && !auth.scopes.has(rule.scope)) {
      throw new AppError('INSUFFICIENT_SCOPE', `This action needs the ${rule.scope} permission`, {
        details: { required_scope: rule.scope },
      });
    }
    c.set('auth', auth);
    await next();
  };

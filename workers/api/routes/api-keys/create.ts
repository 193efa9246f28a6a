import { createApiKey } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { jsonBody, jsonResponse } from '../../lib/schemas';
import { ApiKeyCreatedSchema, CreateApiKeySchema } from './schemas';

export const createApiKeyRoute = defineRoute(
  // A key minting keys would let a leaked key outlive its own revocation.
  { scope: 'api_keys:write', apiKeys: false },
  {
    method: 'post',
    path: '/api-keys',
    operationId: 'createApiKey',
    tags: ['API keys'],
    summary: 'Create an API key (the full key is returned only once)',
    description:
      "Scopes must be within the creator's role; `['*']` grants every scope of that role and is stored " +
      "expanded. The key always acts with its creator's current role, so a later demotion narrows it.",
    request: { body: jsonBody(CreateApiKeySchema) },
    responses: { 201: jsonResponse(ApiKeyCreatedSchema, 'The new key, with its secret') },
  },
);

export const registerCreateApiKey = (app: GroupApp) =>
  app.openapi(createApiKeyRoute, async (c) => {
    const { actor } = routeContext(c);
    const body = c.req.valid('json');
    const created = await createApiKey(identityContext(c), actor, {
      name: body.name,
      scopes: body.scopes,
      expiresAt: body.expires_at,
      rateLimitPerMinute: body.rate_limit_per_minute,
    });
    // The secret must not linger in shared caches.
    c.header('Cache-Control', 'no-store');
    return ok(c, created, 201);
  });

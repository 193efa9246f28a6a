import { localDiscovery, localJwks } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { localIssuer, localIssuerOnly } from '../../lib/sso';

const rawJson = (description: string) => ({
  description,
  content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
});

export const localDiscoveryRoute = defineRoute('public', {
  method: 'get',
  path: '/dev/oidc/.well-known/openid-configuration',
  operationId: 'getLocalOidcDiscovery',
  tags: ['Development'],
  middleware: [localIssuerOnly],
  summary: 'Local only: the built-in OIDC issuer’s discovery document (not wrapped in the envelope)',
  description: 'Served only where SSO_LOCAL_ISSUER is "true" outside production; elsewhere 404.',
  responses: { 200: rawJson('OpenID Provider Metadata'), ...errorResponses([404]) },
});

export const localJwksRoute = defineRoute('public', {
  method: 'get',
  path: '/dev/oidc/jwks',
  operationId: 'getLocalOidcJwks',
  tags: ['Development'],
  middleware: [localIssuerOnly],
  summary: 'Local only: the public key that verifies the built-in issuer’s ID tokens',
  responses: { 200: rawJson('JSON Web Key Set'), ...errorResponses([404]) },
});

export const registerLocalOidcMetadata = (app: GroupApp) => {
  app.openapi(localDiscoveryRoute, (c) => c.json(localDiscovery(localIssuer(c)), 200));
  app.openapi(localJwksRoute, async (c) => c.json(await localJwks(localIssuer(c)), 200));
};

import { loadSigningKeys } from '@flowspark/auth';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';

const JwksSchema = z
  .object({
    keys: z.array(
      z.object({ kty: z.string(), crv: z.string(), x: z.string(), y: z.string(), kid: z.string(), alg: z.string() }),
    ),
  })
  .openapi('Jwks');

export const jwksRoute = defineRoute('public', {
  method: 'get',
  path: '/.well-known/jwks.json',
  operationId: 'getJwks',
  tags: ['System'],
  summary: 'Public keys that verify access tokens (RFC 7517; not wrapped in the envelope)',
  responses: { 200: { description: 'JSON Web Key Set', content: { 'application/json': { schema: JwksSchema } } } },
});

export const registerJwks = (app: GroupApp) =>
  app.openapi(jwksRoute, async (c) => {
    const keys = await loadSigningKeys(c.env);
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(keys.jwks as z.infer<typeof JwksSchema>, 200);
  });

import { revokeApiKey } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { noContent } from '../../lib/respond';
import { errorResponses, idParam } from '../../lib/schemas';

export const revokeApiKeyRoute = defineRoute(
  { scope: 'api_keys:write', apiKeys: false },
  {
    method: 'delete',
    path: '/api-keys/{id}',
    operationId: 'revokeApiKey',
    tags: ['API keys'],
    summary: 'Revoke an API key; it stops working immediately',
    description:
      "Owners and admins may revoke any key of the organization, others only their own. A key the caller may not manage, or another organization's key, is 404.",
    request: { params: z.object({ id: idParam('id', 'key_3b1f0c9a7d2e4f6b8a0c1d2e3f4a5b6c') }) },
    responses: { 204: { description: 'Revoked' }, ...errorResponses([404]) },
  },
);

export const registerRevokeApiKey = (app: GroupApp) =>
  app.openapi(revokeApiKeyRoute, async (c) => {
    const { actor } = routeContext(c);
    const { id } = c.req.valid('param');
    await revokeApiKey(identityContext(c), actor, id);
    return noContent(c);
  });

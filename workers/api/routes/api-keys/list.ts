import { listApiKeys } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { paginated } from '../../lib/respond';
import { PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { ApiKeySchema } from './schemas';

export const listApiKeysRoute = defineRoute(
  { scope: 'api_keys:read' },
  {
    method: 'get',
    path: '/api-keys',
    operationId: 'listApiKeys',
    tags: ['API keys'],
    summary: 'List live API keys, newest first',
    description:
      'Revoked keys are left out; expired ones are listed with their `expires_at`. Owners and admins see every key of the organization; members and viewers see only their own.',
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(ApiKeySchema, 'A page of API keys (never the secrets)') },
  },
);

export const registerListApiKeys = (app: GroupApp) =>
  app.openapi(listApiKeysRoute, async (c) => {
    const { actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listApiKeys(identityContext(c), actor, page);
    return paginated(c, items, page, total);
  });

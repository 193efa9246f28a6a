import { listApiKeys } from '@flowspark/identity';
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
    const page = c.req.valid('query');
    const { orgId, userId, role, plan } = c.get('auth');
    const { items, total } = await listApiKeys(identityContext(c), { orgId, userId, role, plan }, page);
    return paginated(c, items, page, total);
  });

import { removeSsoDomain } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { noContent } from '../../lib/respond';
import { errorResponses, idParam } from '../../lib/schemas';

export const removeSsoDomainRoute = defineRoute(
  { scope: 'org:write' },
  {
    method: 'delete',
    path: '/organizations/current/sso/domains/{id}',
    operationId: 'removeSsoDomain',
    tags: ['SSO'],
    summary: 'Remove a domain: it places no more sign-ins (members already placed stay)',
    request: { params: z.object({ id: idParam('id', 'sdm_4f0c2b7e9a1d4c3b8e6f5a2d1c0b9e8f') }) },
    responses: { 204: { description: 'Removed' }, ...errorResponses([404]) },
  },
);

export const registerRemoveSsoDomain = (app: GroupApp) =>
  app.openapi(removeSsoDomainRoute, async (c) => {
    const { actor, db } = routeContext(c);
    await removeSsoDomain({ db }, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });

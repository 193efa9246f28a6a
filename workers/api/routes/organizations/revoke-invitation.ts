import { revokeInvitation } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { noContent } from '../../lib/respond';
import { errorResponses, idParam } from '../../lib/schemas';

export const revokeInvitationRoute = defineRoute(
  { scope: 'members:write' },
  {
    method: 'delete',
    path: '/invitations/{id}',
    operationId: 'revokeInvitation',
    tags: ['Invitations'],
    summary: 'Revoke a pending invitation (revoking twice is harmless)',
    request: { params: z.object({ id: idParam('id', 'inv_7a1c2e3f4b5d6a7c8e9f0a1b2c3d4e5f') }) },
    responses: {
      204: { description: 'The invitation link no longer works' },
      ...errorResponses([404, 409]),
    },
  },
);

export const registerRevokeInvitation = (app: GroupApp) =>
  app.openapi(revokeInvitationRoute, async (c) => {
    const { actor } = routeContext(c);
    await revokeInvitation(identityContext(c), actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });

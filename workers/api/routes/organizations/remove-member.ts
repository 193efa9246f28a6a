import { removeMember } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { noContent } from '../../lib/respond';
import { errorResponses, idParam } from '../../lib/schemas';

// org:read lets any member reach the route to leave; removing someone else needs members:write,
// which the service checks because it depends on whose membership is named.
export const removeMemberRoute = defineRoute(
  { scope: 'org:read' },
  {
    method: 'delete',
    path: '/organizations/current/members/{user_id}',
    operationId: 'removeOrganizationMember',
    tags: ['Organizations'],
    summary: 'Remove a member, or leave the organization (your own user id)',
    description:
      "Removing someone else needs members:write, and only owners remove owners. The member's sessions " +
      'and API keys in this organization are revoked. The last owner can neither leave nor be removed.',
    request: { params: z.object({ user_id: idParam('user_id', 'usr_5f2b8c1d9e7a4b3c8d6e0f1a2b3c4d5e') }) },
    responses: {
      204: { description: 'The member was removed' },
      ...errorResponses([404, 409]),
    },
  },
);

export const registerRemoveMember = (app: GroupApp) =>
  app.openapi(removeMemberRoute, async (c) => {
    const { actor } = routeContext(c);
    const { user_id } = c.req.valid('param');
    await removeMember(identityContext(c), actor, actor.orgId, user_id);
    return noContent(c);
  });

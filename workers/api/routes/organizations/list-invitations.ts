import { listInvitations } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { paginated } from '../../lib/respond';
import { PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { InvitationSchema } from './schemas';

export const listInvitationsRoute = defineRoute(
  { scope: 'members:read' },
  {
    method: 'get',
    path: '/invitations',
    operationId: 'listInvitations',
    tags: ['Invitations'],
    summary: 'Pending invitations of the current organization, newest first',
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(InvitationSchema, 'A page of pending invitations') },
  },
);

export const registerListInvitations = (app: GroupApp) =>
  app.openapi(listInvitationsRoute, async (c) => {
    const { actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listInvitations(identityContext(c), actor.orgId, page);
    return paginated(c, items, page, total);
  });

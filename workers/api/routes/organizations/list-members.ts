import { listMembers } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { paginated } from '../../lib/respond';
import { PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { RoleSchema } from '../../lib/shapes';
import { MemberSchema } from './schemas';

const MembersQuerySchema = PageQuerySchema.extend({ role: RoleSchema.optional() });

export const listMembersRoute = defineRoute(
  { scope: 'members:read' },
  {
    method: 'get',
    path: '/organizations/current/members',
    operationId: 'listOrganizationMembers',
    tags: ['Organizations'],
    summary: 'Members of the current organization, oldest first, optionally by role',
    request: { query: MembersQuerySchema },
    responses: { 200: paginatedResponse(MemberSchema, 'A page of members') },
  },
);

export const registerListMembers = (app: GroupApp) =>
  app.openapi(listMembersRoute, async (c) => {
    const { actor } = routeContext(c);
    const { role, ...page } = c.req.valid('query');
    const { items, total } = await listMembers(identityContext(c), actor.orgId, page, { role });
    return paginated(c, items, page, total);
  });

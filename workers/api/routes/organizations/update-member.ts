import { changeMemberRole } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, idParam, jsonBody, jsonResponse } from '../../lib/schemas';
import { RoleSchema } from '../../lib/shapes';
import { MemberSchema } from './schemas';

const UpdateMemberSchema = z.strictObject({ role: RoleSchema }).openapi('UpdateMemberRequest');

export const updateMemberRoute = defineRoute(
  { scope: 'members:write' },
  {
    method: 'patch',
    path: '/organizations/current/members/{user_id}',
    operationId: 'updateOrganizationMember',
    tags: ['Organizations'],
    summary: "Change a member's role",
    description:
      'Only owners grant or take away the owner role; the last owner cannot be demoted; nobody changes ' +
      "their own role except an owner stepping down while another owner remains. The member's current " +
      'access tokens must be refreshed afterwards to carry the new role.',
    request: {
      params: z.object({ user_id: idParam('user_id', 'usr_5f2b8c1d9e7a4b3c8d6e0f1a2b3c4d5e') }),
      body: jsonBody(UpdateMemberSchema),
    },
    responses: {
      200: jsonResponse(MemberSchema, 'The member with the new role'),
      ...errorResponses([404, 409]),
    },
  },
);

export const registerUpdateMember = (app: GroupApp) =>
  app.openapi(updateMemberRoute, async (c) => {
    const { actor } = routeContext(c);
    const { user_id } = c.req.valid('param');
    const { role } = c.req.valid('json');
    const member = await changeMemberRole(identityContext(c), actor, actor.orgId, user_id, role);
    return ok(c, member, 200);
  });

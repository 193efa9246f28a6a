import { createInvitation } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { EmailSchema, errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { RoleSchema } from '../../lib/shapes';
import { InvitationSchema } from './schemas';

const CreateInvitationSchema = z
  .strictObject({
    email: EmailSchema.openapi({ example: 'new.colleague@example.com' }),
    role: RoleSchema.default('member'),
  })
  .openapi('CreateInvitationRequest');

export const createInvitationRoute = defineRoute(
  { scope: 'members:write' },
  {
    method: 'post',
    path: '/invitations',
    operationId: 'createInvitation',
    tags: ['Invitations'],
    summary: 'Invite someone by email',
    description:
      'Mails a single-use link that expires after the invitation lifetime. A pending invitation for the ' +
      'same address is replaced. Only owners may invite owners. The token is never returned.',
    request: { body: jsonBody(CreateInvitationSchema) },
    responses: {
      201: jsonResponse(InvitationSchema, 'The invitation was created and mailed'),
      ...errorResponses([409]),
    },
  },
);

export const registerCreateInvitation = (app: GroupApp) =>
  app.openapi(createInvitationRoute, async (c) => {
    const { actor } = routeContext(c);
    const invitation = await createInvitation(identityContext(c), actor, actor.orgId, c.req.valid('json'));
    return ok(c, invitation, 201);
  });

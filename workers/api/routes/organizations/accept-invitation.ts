import { acceptInvitation, INVITATION_TOKEN_PATTERN } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { clientIp } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse, PasswordSchema } from '../../lib/schemas';
import { SignedInSchema } from '../../lib/shapes';

const TokenParamSchema = z.object({
  token: z
    .string()
    .regex(INVITATION_TOKEN_PATTERN, 'Invalid invitation token')
    .openapi({ param: { name: 'token', in: 'path' }, example: 'fsi_q3Jx…' }),
});

const AcceptInvitationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional().openapi({ description: 'Needed when creating an account' }),
    password: PasswordSchema.optional().openapi({ description: 'Needed when creating an account' }),
  })
  .openapi('AcceptInvitationRequest');

// Public: a new invitee has no token yet. An invitee who already has an account proves it with
// their own access token, which the service verifies.
export const acceptInvitationRoute = defineRoute('public', {
  method: 'post',
  path: '/invitations/{token}/accept',
  operationId: 'acceptInvitation',
  tags: ['Invitations'],
  summary: 'Accept an invitation and sign in to the organization',
  description:
    'If the invited address has no account, send `name` and `password`: the account is created (201). ' +
    "If it has one, send that account's access token as `Authorization: Bearer <token>` (200).",
  request: {
    params: TokenParamSchema,
    body: { ...jsonBody(AcceptInvitationSchema), required: false },
  },
  responses: {
    200: jsonResponse(SignedInSchema, 'Joined with an existing account'),
    201: jsonResponse(SignedInSchema, 'Account created and joined'),
    ...errorResponses([401, 403, 404, 409, 410]),
  },
});

export const registerAcceptInvitation = (app: GroupApp) =>
  app.openapi(acceptInvitationRoute, async (c) => {
    const { created, ...signedIn } = await acceptInvitation(identityContext(c), {
      token: c.req.valid('param').token,
      ...c.req.valid('json'),
      authorization: c.req.header('authorization'),
      client: { ip: clientIp(c), userAgent: c.req.header('user-agent') ?? null },
    });
    return created ? ok(c, signedIn, 201) : ok(c, signedIn, 200);
  });

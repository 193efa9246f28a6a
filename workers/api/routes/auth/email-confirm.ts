import { confirmEmailChange } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';

const EmailTokenSchema = z
  .strictObject({ token: z.string().min(1).max(256).openapi({ description: 'The token from the mail' }) })
  .openapi('AuthEmailTokenRequest');

const EmailChangedSchema = z
  .object({
    email: z.string().openapi({ example: 'ada@new.example.com' }),
    revoked_sessions: z
      .number()
      .int()
      .openapi({ description: 'Sessions signed out: all but the one that asked for the change' }),
  })
  .openapi('AuthEmailChanged');

export const emailConfirmRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/email/confirm',
  operationId: 'confirmEmailChange',
  tags: ['Auth'],
  summary: 'Confirm a new email address (the link mailed to it)',
  description:
    'The email changes now; every other session of the user is revoked (the one that asked stays), ' +
    'password reset links mailed before are void, and the old address is told it can still undo the ' +
    'change for 7 days. An unknown, expired, used or cancelled token is 400 VALIDATION_ERROR with ' +
    '`details.fields.token`; an address taken meanwhile is 409.',
  request: { body: jsonBody(EmailTokenSchema) },
  responses: { 200: jsonResponse(EmailChangedSchema, 'Email changed'), ...errorResponses([409]) },
});

export const registerEmailConfirm = (app: GroupApp) =>
  app.openapi(emailConfirmRoute, async (c) => {
    const result = await confirmEmailChange(identityContext(c), c.req.valid('json').token);
    return ok(c, { email: result.email, revoked_sessions: result.revokedSessions }, 200);
  });

export { EmailTokenSchema };

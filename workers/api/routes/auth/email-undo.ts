import { undoEmailChange } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { EmailTokenSchema } from './email-confirm';

const EmailChangeUndoneSchema = z
  .object({
    email: z.string().openapi({ example: 'ada@example.com', description: 'The account’s email again' }),
    revoked_sessions: z.number().int(),
    revoked_api_keys: z.number().int(),
    message: z.string(),
  })
  .openapi('AuthEmailChangeUndone');

export const emailUndoRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/email/undo',
  operationId: 'undoEmailChange',
  tags: ['Auth'],
  summary: 'Undo an email change (the link mailed to the old address)',
  description:
    'Cancels a pending change, or reverses a completed one, within 7 days. Whoever asked knew the ' +
    'password, so every session and API key of the user is revoked, known devices are forgotten, and ' +
    'a password reset link goes to the restored address. An unknown, expired or used token is 400 ' +
    'VALIDATION_ERROR with `details.fields.token`.',
  request: { body: jsonBody(EmailTokenSchema) },
  responses: {
    200: jsonResponse(EmailChangeUndoneSchema, 'Change undone; reset the password'),
    ...errorResponses([409]),
  },
});

export const registerEmailUndo = (app: GroupApp) =>
  app.openapi(emailUndoRoute, async (c) => {
    const result = await undoEmailChange(identityContext(c), c.req.valid('json').token);
    return ok(
      c,
      {
        email: result.email,
        revoked_sessions: result.revokedSessions,
        revoked_api_keys: result.revokedApiKeys,
        message: 'The change is undone and everyone is signed out; set a new password with the link just mailed',
      },
      200,
    );
  });

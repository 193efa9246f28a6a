import { requestPasswordReset } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { EmailSchema, jsonBody, jsonResponse } from '../../lib/schemas';
import { AuthMessageSchema } from './shared';

const PasswordResetSchema = z
  .strictObject({ email: EmailSchema.openapi({ example: 'ada@example.com' }) })
  .openapi('AuthPasswordResetRequest');

const MESSAGE = 'If an account exists for this email, a password reset link has been sent to it';

export const passwordResetRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/password/reset',
  operationId: 'requestPasswordReset',
  tags: ['Auth'],
  summary: 'Mail a single-use password reset link',
  description:
    'Always 202 with the same message, whether or not the email has an account: the token and the ' +
    'mail are made after the response, so timing does not tell either.',
  request: { body: jsonBody(PasswordResetSchema) },
  responses: { 202: jsonResponse(AuthMessageSchema, 'Accepted; a mail is sent if the account exists') },
});

export const registerPasswordReset = (app: GroupApp) =>
  app.openapi(passwordResetRoute, (c) => {
    const { email } = c.req.valid('json');
    const ctx = identityContext(c);
    ctx.defer(requestPasswordReset(ctx, email));
    return ok(c, { message: MESSAGE }, 202);
  });

import { confirmPasswordReset } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { jsonBody, jsonResponse, PasswordSchema } from '../../lib/schemas';
import { AuthMessageSchema } from './shared';

const PasswordResetConfirmSchema = z
  .strictObject({
    token: z.string().min(1).max(256).openapi({ description: 'The token from the reset mail' }),
    new_password: PasswordSchema,
  })
  .openapi('AuthPasswordResetConfirmRequest');

export const passwordResetConfirmRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/password/reset/confirm',
  operationId: 'confirmPasswordReset',
  tags: ['Auth'],
  summary: 'Set a new password with a reset token',
  description:
    'The token works once. An unknown, expired or already used token is 400 VALIDATION_ERROR with ' +
    '`details.fields.token` (the three cases are not told apart). On success every session of the ' +
    'user, in every organization, is revoked.',
  request: { body: jsonBody(PasswordResetConfirmSchema) },
  responses: { 200: jsonResponse(AuthMessageSchema, 'Password changed; sign in again') },
});

export const registerPasswordResetConfirm = (app: GroupApp) =>
  app.openapi(passwordResetConfirmRoute, async (c) => {
    const body = c.req.valid('json');
    await confirmPasswordReset(identityContext(c), body.token, body.new_password);
    return ok(c, { message: 'Your password has been changed; sign in with the new password' }, 200);
  });

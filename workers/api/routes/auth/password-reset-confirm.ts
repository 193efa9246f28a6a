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

const PasswordResetDoneSchema = AuthMessageSchema.extend({
  revoked_sessions: z.number().int().openapi({ description: 'Sessions of the user that were signed out' }),
  revoked_api_keys: z.number().int().openapi({ description: 'API keys of the user that were revoked' }),
}).openapi('AuthPasswordResetDone');

export const passwordResetConfirmRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/password/reset/confirm',
  operationId: 'confirmPasswordReset',
  tags: ['Auth'],
  summary: 'Set a new password with a reset token',
  description:
    'The token works once. An unknown, expired or already used token is 400 VALIDATION_ERROR with ' +
    '`details.fields.token` (the three cases are not told apart). On success every session of the ' +
    'user, in every organization, is revoked, every API key of the user is revoked, known devices ' +
    'are forgotten, and the account address is told.',
  request: { body: jsonBody(PasswordResetConfirmSchema) },
  responses: { 200: jsonResponse(PasswordResetDoneSchema, 'Password changed; sign in again') },
});

export const registerPasswordResetConfirm = (app: GroupApp) =>
  app.openapi(passwordResetConfirmRoute, async (c) => {
    const body = c.req.valid('json');
    const revoked = await confirmPasswordReset(identityContext(c), body.token, body.new_password);
    return ok(
      c,
      {
        message: 'Your password has been changed; sign in with the new password',
        revoked_sessions: revoked.revokedSessions,
        revoked_api_keys: revoked.revokedApiKeys,
      },
      200,
    );
  });

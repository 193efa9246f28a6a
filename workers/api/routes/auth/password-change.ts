import { changePassword } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { jsonBody, jsonResponse, MfaCodeSchema, PasswordSchema } from '../../lib/schemas';
import { clientInfo } from './shared';

const PasswordChangeSchema = z
  .strictObject({
    current_password: z.string().min(1).max(256),
    new_password: PasswordSchema,
    code: MfaCodeSchema.optional(),
  })
  .openapi('AuthPasswordChangeRequest');

const PasswordChangedSchema = z
  .object({
    revoked_sessions: z.number().int().openapi({ description: 'Other sessions of the user that were signed out' }),
    revoked_api_keys: z
      .number()
      .int()
      .openapi({ description: 'API keys of the user (every organization) that were revoked; create new ones' }),
  })
  .openapi('AuthPasswordChanged');

export const passwordChangeRoute = defineRoute(
  { apiKeys: false },
  {
    method: 'post',
    path: '/auth/password/change',
    operationId: 'changePassword',
    tags: ['Auth'],
    summary: 'Change the password; signs out every other session',
    description:
      'Needs the current password, and with MFA on a current `code` (TOTP or recovery code; missing is ' +
      '400). A wrong password is 401 INVALID_CREDENTIALS, a wrong code 401 INVALID_MFA_CODE; both count ' +
      'as failed logins. A new password equal to the current one is 400 VALIDATION_ERROR. Every other ' +
      'session of the user, in every organization, is revoked (the calling session stays signed in), ' +
      'every API key of the user is revoked, and the account address is told.',
    request: { body: jsonBody(PasswordChangeSchema) },
    responses: { 200: jsonResponse(PasswordChangedSchema, 'Password changed') },
  },
);

export const registerPasswordChange = (app: GroupApp) =>
  app.openapi(passwordChangeRoute, async (c) => {
    const { actor } = routeContext(c);
    const body = c.req.valid('json');
    const revoked = await changePassword(
      identityContext(c),
      { userId: actor.userId, sessionId: actor.sessionId! },
      { currentPassword: body.current_password, newPassword: body.new_password, code: body.code },
      clientInfo(c),
    );
    return ok(c, { revoked_sessions: revoked.revokedSessions, revoked_api_keys: revoked.revokedApiKeys }, 200);
  });

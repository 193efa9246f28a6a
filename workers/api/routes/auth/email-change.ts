import { requestEmailChange } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { EmailSchema, errorResponses, jsonBody, jsonResponse, MfaCodeSchema, TimestampSchema } from '../../lib/schemas';
import { clientInfo } from './shared';

const EmailChangeSchema = z
  .strictObject({
    email: EmailSchema.openapi({ example: 'ada@new.example.com', description: 'The new address' }),
    password: z.string().min(1).max(256).openapi({ description: 'The current password' }),
    code: MfaCodeSchema.optional().openapi({ description: 'Required while MFA is on: a TOTP or recovery code' }),
  })
  .openapi('AuthEmailChangeRequest');

const PendingEmailChangeSchema = z
  .object({
    new_email: z.string().openapi({ example: 'ada@new.example.com' }),
    expires_at: TimestampSchema.openapi({ description: 'The confirmation link works until then' }),
  })
  .openapi('AuthPendingEmailChange');

export const emailChangeRoute = defineRoute(
  { scope: 'profile:write', apiKeys: false },
  {
    method: 'post',
    path: '/auth/email/change',
    operationId: 'requestEmailChange',
    tags: ['Auth'],
    summary: 'Ask to change the email: the new address must confirm',
    description:
      'Needs the current password, and with MFA on a current `code` (missing is 400). A wrong password ' +
      'is 401 INVALID_CREDENTIALS, a wrong code 401 INVALID_MFA_CODE; both count as failed logins. An ' +
      'address another account uses is 409. Nothing changes yet: the new address gets a confirmation ' +
      'link (24 hours; POST /auth/email/confirm) and the current one a notice with a link that undoes ' +
      'the change (POST /auth/email/undo, for 7 days, also after it took effect). A new request ' +
      'replaces a pending one. API keys cannot call it.',
    request: { body: jsonBody(EmailChangeSchema) },
    responses: { 202: jsonResponse(PendingEmailChangeSchema, 'Confirmation sent'), ...errorResponses([409]) },
  },
);

export const registerEmailChange = (app: GroupApp) =>
  app.openapi(emailChangeRoute, async (c) => {
    const { actor } = routeContext(c);
    const body = c.req.valid('json');
    const pending = await requestEmailChange(
      identityContext(c),
      actor,
      { newEmail: body.email, password: body.password, code: body.code },
      clientInfo(c),
    );
    return ok(c, pending, 202);
  });

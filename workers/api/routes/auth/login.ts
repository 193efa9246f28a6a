import { loginWithPassword } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { EmailSchema, errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { SignedInSchema } from '../../lib/shapes';
import { clientInfo } from './shared';

const LoginSchema = z
  .strictObject({
    email: EmailSchema.openapi({ example: 'ada@example.com' }),
    // Not PasswordSchema: a login checks the stored password, it does not judge its strength.
    password: z.string().min(1).max(256),
    organization_id: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: 'Sign in to this organization instead of the default one' }),
    device_token: z
      .string()
      .max(128)
      .optional()
      .openapi({ description: 'The `device_token` an earlier sign-in on this device returned' }),
  })
  .openapi('AuthLoginRequest');

const MfaRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: 'Send it with a code to POST /auth/mfa/challenge' }),
    expires_in: z.number().int().openapi({ description: 'Seconds until the mfa_token expires' }),
  })
  .openapi('AuthMfaRequired');

export const LoginResultSchema = z.union([SignedInSchema, MfaRequiredSchema]).openapi('AuthLoginResult');

export const loginRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/login',
  operationId: 'login',
  tags: ['Auth'],
  summary: 'Sign in with email and password',
  description:
    'Unknown email, wrong password and disabled account all answer 401 INVALID_CREDENTIALS with the ' +
    'same message. Failures are throttled per account and IP (5 free in 15 minutes, then a wait that ' +
    'doubles from 1 second up to 15 minutes), per account from every IP (100 in 15 minutes) and per IP ' +
    '(50 in 15 minutes): over a limit is 429 TOO_MANY_ATTEMPTS with Retry-After. A `device_token` ' +
    'from an earlier complete sign-in skips those limits (10 failures in a row forget the device), so ' +
    'the owner is never locked out by someone else guessing. A correct password for an organization the user does not ' +
    'belong to is 403 FORBIDDEN. With MFA on, no tokens are issued: the answer is `{mfa_required, ' +
    'mfa_token, expires_in}` and POST /auth/mfa/challenge finishes the sign-in.',
  request: { body: jsonBody(LoginSchema) },
  responses: {
    200: jsonResponse(LoginResultSchema, 'Signed in, or the second factor is required'),
    ...errorResponses([401, 403]),
  },
});

export const registerLogin = (app: GroupApp) =>
  app.openapi(loginRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await loginWithPassword(
      identityContext(c),
      {
        email: body.email,
        password: body.password,
        organizationId: body.organization_id,
        deviceToken: body.device_token,
      },
      clientInfo(c),
    );
    return ok(c, result, 200);
  });

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
  })
  .openapi('AuthLoginRequest');

const MfaRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: 'Send it with a code to POST /auth/mfa/challenge' }),
    expires_in: z.number().int().openapi({ description: 'Seconds until the mfa_token expires' }),
  })
  .openapi('AuthMfaRequired');

const LoginResultSchema = z.union([SignedInSchema, MfaRequiredSchema]).openapi('AuthLoginResult');

export const loginRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/login',
  operationId: 'login',
  tags: ['Auth'],
  summary: 'Sign in with email and password',
  description:
    'Unknown email, wrong password and disabled account all answer 401 INVALID_CREDENTIALS with the ' +
    'same message. Too many failures for the email or from the IP within the window answer 429 ' +
    'TOO_MANY_ATTEMPTS with Retry-After. A correct password for an organization the user does not ' +
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
      { email: body.email, password: body.password, organizationId: body.organization_id },
      clientInfo(c),
    );
    return ok(c, result, 200);
  });

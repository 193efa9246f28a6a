import { finishSso } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { ssoContext } from '../../lib/sso';
import { LoginResultSchema } from './login';
import { clientInfo } from './shared';
import { SsoProviderParamsSchema } from './sso-shared';

// Not strict: providers add parameters of their own to the redirect (Google: scope, authuser, prompt, hd).
const CallbackQuerySchema = z.object({
  state: z.string().min(1).max(256),
  code: z.string().min(1).max(4096).optional(),
  error: z.string().max(256).optional().openapi({ description: "The provider's refusal, instead of a code" }),
});

export const ssoCallbackRoute = defineRoute('public', {
  method: 'get',
  path: '/auth/sso/{provider}/callback',
  operationId: 'finishSso',
  tags: ['SSO'],
  summary: 'Finish a single sign-on: the same answer as POST /auth/login',
  description:
    'Spends the `state` (an unknown, expired or reused one is 400 SSO_STATE_INVALID), exchanges the ' +
    "code with the PKCE verifier and verifies the ID token against the issuer's keys (signature, issuer, " +
    'audience, expiry, nonce: 401 SSO_ID_TOKEN_INVALID with `details.reason`). An address the provider ' +
    'has not verified is 403 SSO_EMAIL_NOT_VERIFIED. The identity signs in to the account its `sub` is ' +
    'bound to, else to the account with the same verified email (binding the `sub`), else to a new ' +
    'account if an invitation or a verified domain places it in an organization (otherwise 403 ' +
    'SSO_NO_ORGANIZATION). With MFA on, the answer is `{mfa_required, mfa_token, expires_in}` as after a password.',
  request: { params: SsoProviderParamsSchema, query: CallbackQuerySchema },
  responses: {
    200: jsonResponse(LoginResultSchema, 'Signed in, or the second factor is required'),
    ...errorResponses([401, 403, 404, 409, 410, 502]),
  },
});

export const registerSsoCallback = (app: GroupApp) =>
  app.openapi(ssoCallbackRoute, async (c) => {
    const query = c.req.valid('query');
    const result = await finishSso(ssoContext(c), c.req.valid('param').provider, query, clientInfo(c));
    return ok(c, result, 200);
  });

import { INVITATION_TOKEN_PATTERN } from '@flowspark/identity';
import { startSso } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { EmailSchema, errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { ssoContext } from '../../lib/sso';
import { SsoProviderParamsSchema } from './sso-shared';

const StartSsoSchema = z
  .strictObject({
    redirect_uri: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: 'One of the allowed redirect URIs (SSO_REDIRECT_URIS); default the first of them' }),
    organization_id: z
      .string()
      .regex(/^org_[0-9a-f]{32}$/, 'Invalid id')
      .optional()
      .openapi({ description: 'Sign in to this organization instead of the default one' }),
    invitation_token: z
      .string()
      .regex(INVITATION_TOKEN_PATTERN, 'Invalid invitation token')
      .optional()
      .openapi({ description: 'Accept this invitation with the sign-in (the provider must vouch for its address)' }),
    login_hint: EmailSchema.optional().openapi({ description: 'Passed to the provider as `login_hint`' }),
  })
  .openapi('SsoStartRequest');

const StartSsoResultSchema = z
  .object({
    authorization_url: z.string().openapi({ description: "Send the browser here: the provider's sign-in page" }),
    expires_in: z.number().int().openapi({ description: 'Seconds the sign-in may take before its state expires' }),
  })
  .openapi('SsoStartResult');

export const startSsoRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/sso/{provider}',
  operationId: 'startSso',
  tags: ['SSO'],
  summary: 'Start a single sign-on (OpenID Connect, code flow with PKCE)',
  description:
    'Answers the provider URL to send the browser to. The provider returns it to `redirect_uri` with ' +
    '`code` and `state`; pass both to GET /auth/sso/{provider}/callback. An unknown provider is 404, a ' +
    'redirect URI off the allowed list 400, an invitation that is no longer valid 410. Provider `local` ' +
    'is the built-in issuer, served only by local and test configurations.',
  request: { params: SsoProviderParamsSchema, body: jsonBody(StartSsoSchema) },
  responses: {
    200: jsonResponse(StartSsoResultSchema, 'Where to send the browser'),
    ...errorResponses([404, 410, 502]),
  },
});

export const registerStartSso = (app: GroupApp) =>
  app.openapi(startSsoRoute, async (c) => {
    const body = c.req.valid('json');
    const result = await startSso(ssoContext(c), c.req.valid('param').provider, {
      redirectUri: body.redirect_uri,
      organizationId: body.organization_id,
      invitationToken: body.invitation_token,
      loginHint: body.login_hint,
    });
    return ok(c, result, 200);
  });

import { localToken } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { localIssuer, localIssuerOnly } from '../../lib/sso';

export const localTokenRoute = defineRoute('public', {
  method: 'post',
  path: '/dev/oidc/token',
  operationId: 'localOidcToken',
  tags: ['Development'],
  middleware: [localIssuerOnly],
  summary: 'Local only: the built-in issuer’s token endpoint (OAuth JSON, not the envelope)',
  description:
    'A form-encoded `grant_type=authorization_code` request with `code`, `redirect_uri`, `code_verifier` ' +
    'and the client credentials (HTTP Basic or `client_id`/`client_secret`). Answers `{ id_token, ' +
    'access_token, token_type, expires_in }`, or an OAuth error: `invalid_client` (401), `invalid_grant` ' +
    '(400: unknown or expired code, another redirect URI, a PKCE verifier that does not match).',
  responses: {
    200: {
      description: 'Tokens',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
    401: { description: 'invalid_client' },
    ...errorResponses([404]),
  },
});

export const registerLocalOidcToken = (app: GroupApp) =>
  app.openapi(localTokenRoute, async (c) => {
    const cfg = localIssuer(c);
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) {
      return c.json({ error: 'invalid_request', error_description: 'The body must be form-encoded' }, 400);
    }
    const form = Object.fromEntries(new URLSearchParams(await c.req.text()));
    const result = await localToken(cfg, c.env.ENCRYPTION_KEY, form, c.req.header('authorization'));
    return c.json(result.body, result.status);
  });

import { localAuthorize } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { localIssuer, localIssuerOnly } from '../../lib/sso';

const param = (description: string) => z.string().max(2048).optional().openapi({ description });

// Not strict: an authorization request may carry parameters this issuer ignores (prompt, …).
const AuthorizeQuerySchema = z.object({
  response_type: param('`code`'),
  client_id: param('`flowspark-local`'),
  redirect_uri: param('One of SSO_REDIRECT_URIS'),
  scope: param('Must include `openid`'),
  state: param('Returned unchanged'),
  nonce: param('Put into the ID token'),
  code_challenge: param('PKCE S256 challenge'),
  code_challenge_method: param('`S256`'),
  login_hint: param('Local only: the email to sign in as (without it, a form asks)'),
  email_verified: param('Local only: `false` makes the address unverified'),
  name: param('Local only: the name in the ID token'),
  sub: param('Local only: the subject (default derived from the email)'),
});

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const IDENTITY_FIELDS = new Set(['login_hint', 'email_verified', 'name', 'sub']);

/** The local sign-in form: choose an email (and whether it is verified); the request's parameters ride along. */
const signInForm = (action: string, params: Record<string, string>) => {
  const hidden = Object.entries(params)
    .filter(([name]) => !IDENTITY_FIELDS.has(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Local sign-in</title></head><body>
<h1>Local OIDC issuer</h1><p>Development only: sign in as any address.</p>
<form method="get" action="${escapeHtml(action)}">${hidden}
<p><label>Email <input type="email" name="login_hint" required></label></p>
<p><label>Name <input type="text" name="name"></label></p>
<p><label><input type="checkbox" name="email_verified" value="false"> Email not verified</label></p>
<p><button type="submit">Sign in</button></p></form></body></html>`;
};

export const localAuthorizeRoute = defineRoute('public', {
  method: 'get',
  path: '/dev/oidc/authorize',
  operationId: 'localOidcAuthorize',
  tags: ['Development'],
  middleware: [localIssuerOnly],
  summary: 'Local only: the built-in issuer’s authorization endpoint',
  description:
    'Redirects (302) to `redirect_uri` with `code` and `state`. Instead of a login page it takes the ' +
    'identity as parameters (local only): `login_hint` (email), `email_verified=false`, `name`, `sub`; ' +
    'without `login_hint` it answers a small HTML form. An unknown client or redirect URI is 400.',
  request: { query: AuthorizeQuerySchema },
  responses: {
    302: { description: 'Back to the redirect URI with a code (or an OAuth error)' },
    200: { description: 'The local sign-in form', content: { 'text/html': { schema: z.string() } } },
    ...errorResponses([404]),
  },
});

export const registerLocalOidcAuthorize = (app: GroupApp) =>
  app.openapi(localAuthorizeRoute, async (c) => {
    const cfg = localIssuer(c);
    const params = Object.fromEntries(
      Object.entries(c.req.valid('query')).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const result = await localAuthorize(cfg, c.env.ENCRYPTION_KEY, params);
    if (result.kind === 'error') return c.json(result.error.body, result.error.status);
    if (result.kind === 'redirect') return c.redirect(result.location, 302);
    c.header('Content-Security-Policy', "default-src 'none'; form-action 'self'");
    return c.html(signInForm(`${cfg.issuer}/authorize`, result.params), 200);
  });

import { completeMfaChallenge } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { clientIp } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { SignedInSchema } from '../../lib/shapes';

const MfaChallengeSchema = z
  .strictObject({
    mfa_token: z.string().min(1).max(8192).openapi({ description: 'From POST /auth/login when MFA is required' }),
    code: z.string().trim().min(6).max(32).openapi({ description: 'A TOTP code or an unused recovery code' }),
  })
  .openapi('MfaChallengeRequest');

export const mfaChallengeRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/mfa/challenge',
  operationId: 'completeMfaChallenge',
  tags: ['MFA'],
  summary: 'Second login step: exchange the mfa_token and a code for tokens',
  description:
    'A bad or expired mfa_token is 401 INVALID_TOKEN / TOKEN_EXPIRED; a wrong or already used code is ' +
    '401 INVALID_MFA_CODE and counts as a failed login; too many failures is 429 TOO_MANY_ATTEMPTS ' +
    'with Retry-After. Every success spends the code (a TOTP step or a recovery code), so neither the ' +
    'code nor the mfa_token with that code can be replayed.',
  request: { body: jsonBody(MfaChallengeSchema) },
  responses: { 200: jsonResponse(SignedInSchema, 'Signed in'), ...errorResponses([401]) },
});

export const registerMfaChallenge = (app: GroupApp) =>
  app.openapi(mfaChallengeRoute, async (c) => {
    const body = c.req.valid('json');
    const client = { ip: clientIp(c), userAgent: c.req.header('user-agent') ?? null };
    const signedIn = await completeMfaChallenge(
      identityContext(c),
      { mfaToken: body.mfa_token, code: body.code },
      client,
    );
    c.header('Cache-Control', 'no-store');
    return ok(c, signedIn, 200);
  });

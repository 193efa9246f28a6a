import { beginTotpSetup } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { clientInfo } from './shared';

const MfaTotpSetupRequestSchema = z
  .strictObject({ password: z.string().min(1).max(256).openapi({ description: 'The current password' }) })
  .openapi('MfaTotpSetupRequest');

const MfaTotpSetupSchema = z
  .object({
    secret: z.string().openapi({ example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', description: 'Base32 TOTP secret' }),
    otpauth_uri: z.string().openapi({ description: 'otpauth:// URI to render as a QR code' }),
    issuer: z.string().openapi({ example: 'FlowSpark' }),
    account: z.string().openapi({ example: 'ada@example.com' }),
  })
  .openapi('MfaTotpSetup');

export const mfaSetupRoute = defineRoute(
  { scope: 'profile:write', apiKeys: false },
  {
    method: 'post',
    path: '/auth/mfa/totp/setup',
    operationId: 'setupTotp',
    tags: ['MFA'],
    summary: 'Start TOTP enrolment: a new secret for an authenticator app',
    description:
      'Creates (or replaces) an unconfirmed TOTP device. MFA is on only after POST /auth/mfa/totp/verify ' +
      'with a code from the app. Needs the current password (401 INVALID_CREDENTIALS when wrong; counts ' +
      'as a failed login). 409 when MFA is already enabled.',
    request: { body: jsonBody(MfaTotpSetupRequestSchema) },
    responses: { 200: jsonResponse(MfaTotpSetupSchema, 'The secret to enrol'), ...errorResponses([409]) },
  },
);

export const registerMfaSetup = (app: GroupApp) =>
  app.openapi(mfaSetupRoute, async (c) => {
    const { actor } = routeContext(c);
    const setup = await beginTotpSetup(identityContext(c), actor.userId, c.req.valid('json').password, clientInfo(c));
    c.header('Cache-Control', 'no-store');
    return ok(c, setup, 200);
  });

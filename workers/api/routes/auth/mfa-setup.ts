import { beginTotpSetup } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';

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
      'with a code from the app. 409 when MFA is already enabled.',
    responses: { 200: jsonResponse(MfaTotpSetupSchema, 'The secret to enrol'), ...errorResponses([409]) },
  },
);

export const registerMfaSetup = (app: GroupApp) =>
  app.openapi(mfaSetupRoute, async (c) => {
    const setup = await beginTotpSetup(identityContext(c), c.get('auth').userId);
    c.header('Cache-Control', 'no-store');
    return ok(c, setup, 200);
  });

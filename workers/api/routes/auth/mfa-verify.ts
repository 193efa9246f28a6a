import { confirmTotpSetup } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';

const MfaTotpVerifySchema = z
  .strictObject({
    code: z
      .string()
      .regex(/^[0-9]{6}$/, 'Must be 6 digits')
      .openapi({ example: '123456' }),
  })
  .openapi('MfaTotpVerifyRequest');

const MfaTotpEnabledSchema = z
  .object({
    enabled: z.literal(true),
    recovery_codes: z
      .array(z.string())
      .openapi({ example: ['abcde-fghjk'], description: 'One-time codes, shown only here: store them safely' }),
  })
  .openapi('MfaTotpEnabled');

export const mfaVerifyRoute = defineRoute(
  { scope: 'profile:write', apiKeys: false },
  {
    method: 'post',
    path: '/auth/mfa/totp/verify',
    operationId: 'verifyTotp',
    tags: ['MFA'],
    summary: 'Confirm TOTP enrolment with a code and turn MFA on',
    description:
      'A wrong code is 401 INVALID_MFA_CODE. No pending setup (or MFA already on) is 409 CONFLICT. ' +
      'Returns 10 recovery codes, each usable once instead of a TOTP code.',
    request: { body: jsonBody(MfaTotpVerifySchema) },
    responses: { 200: jsonResponse(MfaTotpEnabledSchema, 'MFA is on'), ...errorResponses([409]) },
  },
);

export const registerMfaVerify = (app: GroupApp) =>
  app.openapi(mfaVerifyRoute, async (c) => {
    const { actor } = routeContext(c);
    const { code } = c.req.valid('json');
    const result = await confirmTotpSetup(identityContext(c), actor.userId, code);
    c.header('Cache-Control', 'no-store');
    return ok(c, result, 200);
  });

import { disableTotp } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { clientIp, routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse, MfaCodeSchema } from '../../lib/schemas';

const MfaTotpDisableSchema = z
  .strictObject({
    password: z.string().min(1).max(256),
    code: MfaCodeSchema,
  })
  .openapi('MfaTotpDisableRequest');

const MfaTotpDisabledSchema = z.object({ enabled: z.literal(false) }).openapi('MfaTotpDisabled');

export const mfaDisableRoute = defineRoute(
  { scope: 'profile:write', apiKeys: false },
  {
    method: 'post',
    path: '/auth/mfa/totp/disable',
    operationId: 'disableTotp',
    tags: ['MFA'],
    summary: 'Turn MFA off (needs the password and a current code)',
    description:
      'Wrong password: 401 INVALID_CREDENTIALS; wrong code: 401 INVALID_MFA_CODE; MFA not on: 409. ' +
      'Failures count towards the account login throttle (429 TOO_MANY_ATTEMPTS).',
    request: { body: jsonBody(MfaTotpDisableSchema) },
    responses: { 200: jsonResponse(MfaTotpDisabledSchema, 'MFA is off'), ...errorResponses([409]) },
  },
);

export const registerMfaDisable = (app: GroupApp) =>
  app.openapi(mfaDisableRoute, async (c) => {
    const { actor } = routeContext(c);
    const body = c.req.valid('json');
    const client = { ip: clientIp(c), userAgent: c.req.header('user-agent') ?? null };
    const result = await disableTotp(identityContext(c), actor.userId, body, client);
    return ok(c, result, 200);
  });

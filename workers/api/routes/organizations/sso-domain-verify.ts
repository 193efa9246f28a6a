import { verifySsoDomain } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { resolveTxt } from '../../../lib/outbound';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, idParam, jsonResponse } from '../../lib/schemas';
import { SsoDomainSchema } from './sso-schemas';

export const verifySsoDomainRoute = defineRoute(
  { scope: 'org:write' },
  {
    method: 'post',
    path: '/organizations/current/sso/domains/{id}/verify',
    operationId: 'verifySsoDomain',
    tags: ['SSO'],
    summary: "Check the domain's DNS TXT record and mark it verified",
    description:
      'Looks up TXT records at `verification.name`; one must equal `verification.value`. Not found is 422 ' +
      'DOMAIN_NOT_VERIFIED (publish it and try again: DNS can take a while); a domain verified by another ' +
      'organization is 409. Verifying a verified domain answers it unchanged.',
    request: { params: z.object({ id: idParam('id', 'sdm_4f0c2b7e9a1d4c3b8e6f5a2d1c0b9e8f') }) },
    responses: {
      200: jsonResponse(SsoDomainSchema, 'The domain, verified'),
      ...errorResponses([404, 409, 422, 503]),
    },
  },
);

export const registerVerifySsoDomain = (app: GroupApp) =>
  app.openapi(verifySsoDomainRoute, async (c) => {
    const { actor, db } = routeContext(c);
    return ok(c, await verifySsoDomain({ db }, actor.orgId, c.req.valid('param').id, resolveTxt()), 200);
  });

import { getOrganization } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { CurrentOrganizationSchema } from './schemas';

export const getCurrentOrganizationRoute = defineRoute(
  { scope: 'org:read' },
  {
    method: 'get',
    path: '/organizations/current',
    operationId: 'getCurrentOrganization',
    tags: ['Organizations'],
    summary: "The caller's organization, with its member count",
    responses: {
      200: jsonResponse(CurrentOrganizationSchema, 'The organization'),
      ...errorResponses([404]),
    },
  },
);

export const registerGetCurrentOrganization = (app: GroupApp) =>
  app.openapi(getCurrentOrganizationRoute, async (c) => {
    const { actor } = routeContext(c);
    const organization = await getOrganization(identityContext(c), actor.orgId);
    return ok(c, organization, 200);
  });

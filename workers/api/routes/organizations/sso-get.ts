import { getSsoSettings } from '@flowspark/sso';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { ssoContext } from '../../lib/sso';
import { SsoSettingsSchema } from './sso-schemas';

export const getSsoSettingsRoute = defineRoute(
  { scope: 'org:write' },
  {
    method: 'get',
    path: '/organizations/current/sso',
    operationId: 'getSsoSettings',
    tags: ['SSO'],
    summary: "The organization's SSO settings: required or not, the providers, the domains (owners and admins)",
    responses: { 200: jsonResponse(SsoSettingsSchema, 'SSO settings'), ...errorResponses([404]) },
  },
);

export const registerGetSsoSettings = (app: GroupApp) =>
  app.openapi(getSsoSettingsRoute, async (c) => {
    const { actor } = routeContext(c);
    return ok(c, await getSsoSettings(ssoContext(c), actor.orgId), 200);
  });

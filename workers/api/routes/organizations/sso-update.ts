import { updateSsoSettings } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { ssoContext } from '../../lib/sso';
import { SsoSettingsSchema } from './sso-schemas';

const UpdateSsoSettingsSchema = z
  .strictObject({
    required: z.boolean().openapi({ description: 'Refuse password sign-in to this organization' }),
  })
  .openapi('UpdateSsoSettingsRequest');

export const updateSsoSettingsRoute = defineRoute(
  { scope: 'org:write', apiKeys: false },
  {
    method: 'put',
    path: '/organizations/current/sso',
    operationId: 'updateSsoSettings',
    tags: ['SSO'],
    summary: 'Require SSO for the organization, or stop requiring it (owners and admins)',
    description:
      'Turning it on needs the caller to have signed in with SSO once (409 CONFLICT otherwise), so an ' +
      'administrator cannot lock themselves out. Once on, password login to the organization and ' +
      'accepting its invitations with a password answer 403 SSO_REQUIRED.',
    request: { body: jsonBody(UpdateSsoSettingsSchema) },
    responses: { 200: jsonResponse(SsoSettingsSchema, 'SSO settings'), ...errorResponses([404, 409]) },
  },
);

export const registerUpdateSsoSettings = (app: GroupApp) =>
  app.openapi(updateSsoSettingsRoute, async (c) => {
    const { actor } = routeContext(c);
    return ok(c, await updateSsoSettings(ssoContext(c), actor, c.req.valid('json')), 200);
  });

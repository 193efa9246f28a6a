import { updateOrganization } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { CurrentOrganizationSchema } from './schemas';

const UpdateOrganizationSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional().openapi({ example: 'Acme Corp' }),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'Provide at least one field to change' })
  .openapi('UpdateOrganizationRequest');

export const updateCurrentOrganizationRoute = defineRoute(
  { scope: 'org:write' },
  {
    method: 'put',
    path: '/organizations/current',
    operationId: 'updateCurrentOrganization',
    tags: ['Organizations'],
    summary: "Rename the caller's organization (the slug never changes)",
    request: { body: jsonBody(UpdateOrganizationSchema) },
    responses: {
      200: jsonResponse(CurrentOrganizationSchema, 'The updated organization'),
      ...errorResponses([404]),
    },
  },
);

export const registerUpdateCurrentOrganization = (app: GroupApp) =>
  app.openapi(updateCurrentOrganizationRoute, async (c) => {
    const { actor } = routeContext(c);
    const organization = await updateOrganization(identityContext(c), actor.orgId, c.req.valid('json'));
    return ok(c, organization, 200);
  });

import { revokeOwnSession } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { noContent } from '../../lib/respond';
import { errorResponses, idParam } from '../../lib/schemas';

export const revokeSessionRoute = defineRoute(
  { apiKeys: false },
  {
    method: 'delete',
    path: '/auth/sessions/{id}',
    operationId: 'revokeSession',
    tags: ['Auth'],
    summary: 'Sign out one of the caller’s sessions',
    description:
      'Only the caller’s own live sessions in this organization: anything else (someone else’s, ' +
      'already revoked, unknown) is 404. Revoking the current session is the same as logging out.',
    request: { params: z.object({ id: idParam('id', 'ses_3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c') }) },
    responses: { 204: { description: 'Session revoked' }, ...errorResponses([404]) },
  },
);

export const registerRevokeSession = (app: GroupApp) =>
  app.openapi(revokeSessionRoute, async (c) => {
    const { actor } = routeContext(c);
    const { id } = c.req.valid('param');
    await revokeOwnSession(identityContext(c), actor, id);
    return noContent(c);
  });

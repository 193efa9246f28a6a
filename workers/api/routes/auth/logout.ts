import { revokeSessions } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { noContent } from '../../lib/respond';

export const logoutRoute = defineRoute(
  { apiKeys: false },
  {
    method: 'post',
    path: '/auth/logout',
    operationId: 'logout',
    tags: ['Auth'],
    summary: 'Sign out: revoke the current session',
    description: 'The access token and refresh token of this session stop working at once.',
    responses: { 204: { description: 'Signed out' } },
  },
);

export const registerLogout = (app: GroupApp) =>
  app.openapi(logoutRoute, async (c) => {
    const { actor } = routeContext(c);
    // apiKeys: false guarantees a session.
    await revokeSessions(identityContext(c), actor.orgId, [actor.sessionId!], 'logout');
    return noContent(c);
  });

import { loadProfile } from '@flowspark/identity';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { jsonResponse } from '../../lib/schemas';
import { MeSchema, presentMe } from './shared';

export const getMeRoute = defineRoute(
  { scope: 'profile:read' },
  {
    method: 'get',
    path: '/auth/me',
    operationId: 'getMe',
    tags: ['Auth'],
    summary: 'The caller: user, organization, role and how they authenticated',
    description: 'An API key answers for the user who created it, with the key’s own scopes.',
    responses: { 200: jsonResponse(MeSchema, 'The caller') },
  },
);

export const registerGetMe = (app: GroupApp) =>
  app.openapi(getMeRoute, async (c) => {
    const { actor } = routeContext(c);
    return ok(c, presentMe(await loadProfile(identityContext(c), actor.userId, actor.orgId), actor), 200);
  });

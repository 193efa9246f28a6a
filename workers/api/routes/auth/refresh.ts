import { refreshSession } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { TokensSchema } from '../../lib/shapes';
import { clientInfo } from './shared';

const RefreshSchema = z.strictObject({ refresh_token: z.string().min(1).max(4096) }).openapi('AuthRefreshRequest');

export const refreshRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/refresh',
  operationId: 'refreshTokens',
  tags: ['Auth'],
  summary: 'Exchange a refresh token for new tokens (rotation)',
  description:
    'Every refresh token works once and the answer carries a new one. Presenting the same token again ' +
    'within a short grace window (REFRESH_REUSE_GRACE_SECONDS, 10 s by default), as two tabs refreshing ' +
    'at once do, returns the same new refresh token with a fresh access token, as long as the session ' +
    'is live and that new refresh token has not been used yet. Any other presentation of a spent token ' +
    '(after the window, or once its successor was used) means it was copied: the whole session is ' +
    'revoked (its access tokens and newest refresh token stop working) and the answer is 401 INVALID_TOKEN.',
  request: { body: jsonBody(RefreshSchema) },
  responses: { 200: jsonResponse(TokensSchema, 'New tokens'), ...errorResponses([401]) },
});

export const registerRefresh = (app: GroupApp) =>
  app.openapi(refreshRoute, async (c) => {
    const { refresh_token } = c.req.valid('json');
    return ok(c, await refreshSession(identityContext(c), refresh_token, clientInfo(c)), 200);
  });

import { AppError } from '@flowspark/core';
import { updateProfile } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { EmailSchema, errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { MeSchema, presentMe } from './shared';

const UpdateMeSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    email: EmailSchema.optional().openapi({ example: 'ada@example.com' }),
  })
  .refine((body) => body.name !== undefined || body.email !== undefined, {
    message: 'Give at least one of name, email',
  })
  .openapi('AuthUpdateMeRequest');

export const updateMeRoute = defineRoute(
  { scope: 'profile:write' },
  {
    method: 'put',
    path: '/auth/me',
    operationId: 'updateMe',
    tags: ['Auth'],
    summary: 'Change the caller’s name or email',
    description:
      'Answers with the same shape as GET /auth/me. An email that another account uses is 409 ' +
      'CONFLICT. API keys may change the name but not the email (403 FORBIDDEN): the email is how the ' +
      'account is recovered, so only a signed-in user may move it.',
    request: { body: jsonBody(UpdateMeSchema) },
    responses: { 200: jsonResponse(MeSchema, 'The updated caller'), ...errorResponses([409]) },
  },
);

export const registerUpdateMe = (app: GroupApp) =>
  app.openapi(updateMeRoute, async (c) => {
    const body = c.req.valid('json');
    const auth = c.get('auth');
    if (body.email !== undefined && auth.kind === 'api_key') {
      throw new AppError('FORBIDDEN', 'Changing the email needs a signed-in user; API keys cannot do it');
    }
    const profile = await updateProfile(
      identityContext(c),
      { userId: auth.userId, orgId: auth.tenantId },
      { name: body.name, email: body.email },
    );
    return ok(c, presentMe(profile, auth), 200);
  });

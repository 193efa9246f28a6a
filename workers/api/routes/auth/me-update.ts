import { validationError } from '@flowspark/core';
import { updateProfile } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { jsonBody, jsonResponse } from '../../lib/schemas';
import { MeSchema, presentMe } from './shared';

const UpdateMeSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    email: z.unknown().optional().openapi({
      deprecated: true,
      description: 'Refused (400): the email changes with POST /auth/email/change',
    }),
  })
  .refine((body) => body.name !== undefined || body.email !== undefined, { message: 'Give the name to change' })
  .openapi('AuthUpdateMeRequest');

export const updateMeRoute = defineRoute(
  { scope: 'profile:write' },
  {
    method: 'put',
    path: '/auth/me',
    operationId: 'updateMe',
    tags: ['Auth'],
    summary: 'Change the caller’s name',
    description:
      'Answers with the same shape as GET /auth/me. The email is how the account is recovered, so it ' +
      'does not change here: `email` is 400 VALIDATION_ERROR pointing to POST /auth/email/change, which ' +
      'needs the current password and a confirmation from the new address.',
    request: { body: jsonBody(UpdateMeSchema) },
    responses: { 200: jsonResponse(MeSchema, 'The updated caller') },
  },
);

export const registerUpdateMe = (app: GroupApp) =>
  app.openapi(updateMeRoute, async (c) => {
    const { actor } = routeContext(c);
    const body = c.req.valid('json');
    if (body.email !== undefined) {
      throw validationError('The email changes with POST /api/v1/auth/email/change', {
        email: [
          'Use POST /api/v1/auth/email/change: it needs the current password and a confirmation from the new address',
        ],
      });
    }
    const profile = await updateProfile(identityContext(c), actor, { name: body.name });
    return ok(c, presentMe(profile, actor), 200);
  });

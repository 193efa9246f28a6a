import { registerAccount } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { identityContext } from '../../lib/identity';
import { ok } from '../../lib/respond';
import { EmailSchema, errorResponses, jsonBody, jsonResponse, PasswordSchema } from '../../lib/schemas';
import { SignedInSchema } from '../../lib/shapes';
import { clientInfo } from './shared';

const RegisterSchema = z
  .strictObject({
    email: EmailSchema.openapi({ example: 'ada@example.com' }),
    password: PasswordSchema.openapi({ example: 'correct horse battery staple' }),
    name: z.string().trim().min(1).max(100).openapi({ example: 'Ada Lovelace' }),
    organization_name: z.string().trim().min(1).max(100).openapi({ example: 'Analytical Engines' }),
  })
  .openapi('AuthRegisterRequest');

export const registerRoute = defineRoute('public', {
  method: 'post',
  path: '/auth/register',
  operationId: 'register',
  tags: ['Auth'],
  summary: 'Create an account and its organization, and sign in',
  description:
    'Creates the user (email stored lower-cased), a new organization with the user as owner, and a ' +
    'first session. 409 CONFLICT when the email already has an account.',
  request: { body: jsonBody(RegisterSchema) },
  responses: { 201: jsonResponse(SignedInSchema, 'Account created and signed in'), ...errorResponses([409]) },
});

export const registerRegister = (app: GroupApp) =>
  app.openapi(registerRoute, async (c) => {
    const body = c.req.valid('json');
    const signedIn = await registerAccount(
      identityContext(c),
      { email: body.email, password: body.password, name: body.name, organizationName: body.organization_name },
      clientInfo(c),
    );
    return ok(c, signedIn, 201);
  });

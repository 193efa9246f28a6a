import { addSsoDomain, DOMAIN_PATTERN } from '@flowspark/sso';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { SsoDomainSchema } from './sso-schemas';

const AddSsoDomainSchema = z
  .strictObject({
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.string().regex(DOMAIN_PATTERN, 'A domain name such as acme.com'))
      .openapi({ example: 'acme.com' }),
    role: z.enum(['member', 'viewer']).default('member'),
  })
  .openapi('AddSsoDomainRequest');

export const addSsoDomainRoute = defineRoute(
  { scope: 'org:write' },
  {
    method: 'post',
    path: '/organizations/current/sso/domains',
    operationId: 'addSsoDomain',
    tags: ['SSO'],
    summary: 'Add an email domain for SSO placement (unverified until its DNS TXT record is checked)',
    description:
      'Answers the TXT record to publish (`verification`). Once verified (POST …/{id}/verify), a first SSO ' +
      'sign-in with a verified address at the domain creates the account in this organization with `role`.',
    request: { body: jsonBody(AddSsoDomainSchema) },
    responses: { 201: jsonResponse(SsoDomainSchema, 'The domain, unverified'), ...errorResponses([409]) },
  },
);

export const registerAddSsoDomain = (app: GroupApp) =>
  app.openapi(addSsoDomainRoute, async (c) => {
    const { actor, db } = routeContext(c);
    return ok(c, await addSsoDomain({ db }, actor, c.req.valid('json')), 201);
  });

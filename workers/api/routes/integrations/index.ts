import {
  createIntegration,
  deleteIntegration,
  INTEGRATION_TYPES,
  type IntegrationRow,
  listIntegrations,
  requireIntegration,
  updateIntegration,
} from '@flowspark/integrations';
import { z } from '@hono/zod-openapi';
import type { Env } from '../../../env';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { noContent, ok, paginated } from '../../lib/respond';
import {
  errorResponses,
  idParam,
  jsonBody,
  jsonResponse,
  PageQuerySchema,
  paginatedResponse,
  TimestampSchema,
} from '../../lib/schemas';
import { registerSyncRoutes } from './sync';

const TAGS = ['Integrations'];
const ID_EXAMPLE = 'itg_5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d';
const IdParams = z.object({ id: idParam('id', ID_EXAMPLE) });

const CredentialsSchema = z
  .strictObject({
    token: z
      .string()
      .min(8)
      .max(4_000)
      .openapi({ description: 'The API token (Notion integration secret, Atlassian API token)' }),
    base_url: z
      .string()
      .max(300)
      .optional()
      .openapi({ example: 'https://acme.atlassian.net/wiki', description: 'Confluence only: the Cloud site' }),
    email: z.email().max(254).optional().openapi({ description: 'Confluence only: the account the token belongs to' }),
  })
  .openapi('IntegrationCredentials');

const CreateSchema = z
  .strictObject({
    type: z.enum(INTEGRATION_TYPES),
    name: z.string().trim().min(1).max(200).openapi({ example: 'Company wiki' }),
    credentials: CredentialsSchema,
  })
  .openapi('CreateIntegrationRequest');

const UpdateSchema = z
  .strictObject({ name: z.string().trim().min(1).max(200).optional(), credentials: CredentialsSchema.optional() })
  .openapi('UpdateIntegrationRequest');

const IntegrationSchema = z
  .object({
    id: z.string().openapi({ example: ID_EXAMPLE }),
    type: z.enum(INTEGRATION_TYPES),
    name: z.string(),
    credentials: z.object({
      token_hint: z
        .string()
        .openapi({ example: '…x9Qe', description: 'The token’s last four characters; the token is never returned' }),
      base_url: z.string().nullable(),
      email: z.string().nullable(),
    }),
    last_synced_at: TimestampSchema.nullable().openapi({ description: 'When the last sync ended' }),
    last_sync_status: z
      .enum(['completed', 'completed_with_errors', 'failed', 'cancelled'])
      .nullable()
      .openapi({ description: 'How it ended (GET /integrations/{id}/syncs has the log)' }),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Integration');

const present = (row: IntegrationRow) => ({
  id: row.id,
  type: row.type,
  name: row.name,
  credentials: { token_hint: `…${row.tokenHint}`, base_url: row.baseUrl, email: row.email },
  last_synced_at: row.lastSyncedAt,
  last_sync_status: row.lastSyncStatus as 'completed' | 'completed_with_errors' | 'failed' | 'cancelled' | null,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

const keysOf = (env: Env) => ({ current: env.ENCRYPTION_KEY, previous: env.ENCRYPTION_KEY_PREVIOUS });

const read = { scope: 'integrations:read' } as const;
const write = { scope: 'integrations:write' } as const;

const listRoute = defineRoute(read, {
  method: 'get',
  path: '/integrations',
  operationId: 'listIntegrations',
  tags: TAGS,
  summary: 'Notion and Confluence connections, newest first',
  request: { query: PageQuerySchema },
  responses: { 200: paginatedResponse(IntegrationSchema, 'A page of integrations') },
});
const createRoute = defineRoute(write, {
  method: 'post',
  path: '/integrations',
  operationId: 'createIntegration',
  tags: TAGS,
  summary: 'Connect a Notion workspace or a Confluence Cloud site',
  description:
    'The token is stored encrypted (AES-GCM under the server’s key) and never returned: responses show its last four ' +
    'characters. Confluence needs `base_url` (https://<site>.atlassian.net/wiki) and the token’s `email`; Notion neither ' +
    '(400 naming the field otherwise).',
  request: { body: jsonBody(CreateSchema) },
  responses: { 201: jsonResponse(IntegrationSchema, 'The integration') },
});
const getRoute = defineRoute(read, {
  method: 'get',
  path: '/integrations/{id}',
  operationId: 'getIntegration',
  tags: TAGS,
  summary: 'An integration',
  request: { params: IdParams },
  responses: { 200: jsonResponse(IntegrationSchema, 'The integration'), ...errorResponses([404]) },
});
const updateRoute = defineRoute(write, {
  method: 'put',
  path: '/integrations/{id}',
  operationId: 'updateIntegration',
  tags: TAGS,
  summary: 'Rename an integration or replace its credentials',
  request: { params: IdParams, body: jsonBody(UpdateSchema) },
  responses: { 200: jsonResponse(IntegrationSchema, 'The integration'), ...errorResponses([404]) },
});
const deleteRoute = defineRoute(write, {
  method: 'delete',
  path: '/integrations/{id}',
  operationId: 'deleteIntegration',
  tags: TAGS,
  summary: 'Delete an integration and its stored token',
  request: { params: IdParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
});

const register = (app: GroupApp) => {
  app.openapi(listRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listIntegrations(db, actor.orgId, query);
    return paginated(c, items.map(present), query, total);
  });
  app.openapi(createRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    return ok(c, present(await createIntegration(db, keysOf(env), actor, c.req.valid('json'))), 201);
  });
  app.openapi(getRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, present(await requireIntegration(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(updateRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const row = await updateIntegration(db, keysOf(env), actor.orgId, c.req.valid('param').id, c.req.valid('json'));
    return ok(c, present(row), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteIntegration(db, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
};

/** Notion and Confluence connections: `/integrations…`. */
const app = createGroup();
register(app);
registerSyncRoutes(app);

export default app;

import { conflict } from '@flowspark/core';
import {
  addSources,
  deleteSource,
  getSync,
  type IntegrationPageRow,
  type IntegrationSourceRow,
  type IntegrationSyncRow,
  listPages,
  listSources,
  listSyncs,
  liveSync,
  MAX_SOURCES,
  requireIntegration,
  startSync,
} from '@flowspark/integrations';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { enqueueOrRecover } from '../../lib/jobs';
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

const TAGS = ['Integrations'];
const IdParams = z.object({ id: idParam('id', 'itg_5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d') });
const SyncParams = IdParams.extend({ sync_id: idParam('sync_id', 'isy_0a1b2c3d4e5f60718293a4b5c6d7e8f9') });
const SourceParams = IdParams.extend({ source_id: idParam('source_id', 'its_0a1b2c3d4e5f60718293a4b5c6d7e8f9') });

const Item = z.string().trim().min(1).max(300);
const ImportSchema = z
  .strictObject({
    pages: z
      .array(Item)
      .max(MAX_SOURCES)
      .optional()
      .openapi({
        description:
          'Notion: page ids or page URLs (each brings its sub-pages). Confluence: page ids (digits), each page on its own.',
        example: ['https://www.notion.so/acme/Handbook-0f1e2d3c4b5a69788796a5b4c3d2e1f0'],
      }),
    spaces: z
      .array(Item)
      .max(MAX_SOURCES)
      .optional()
      .openapi({ description: 'Confluence only: space keys; every current page of the space', example: ['ENG'] }),
  })
  .openapi('IntegrationImportRequest');

const SourceSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['page', 'space']),
    external_id: z.string().openapi({ description: 'The provider’s page id, or the space key' }),
    title: z.string().nullable().openapi({ description: 'As the provider names it, once a sync found it' }),
    status: z
      .enum(['pending', 'found', 'not_found'])
      .openapi({ description: '`not_found`: the last sync could not find it, or it is not shared with the token' }),
    created_at: TimestampSchema,
  })
  .openapi('IntegrationSource');

const CountsSchema = z
  .object({
    pages_seen: z.number().int().openapi({ description: 'Pages the sources cover' }),
    created: z.number().int(),
    updated: z.number().int().openapi({ description: 'Pages whose content changed, re-indexed' }),
    unchanged: z.number().int(),
    deleted: z.number().int().openapi({ description: 'Pages gone from the provider, removed from the knowledge base' }),
    failed: z.number().int(),
    deferred: z
      .number()
      .int()
      .openapi({ description: 'Left for the next sync (over the cap, still indexing, or stopped)' }),
    rate_limit_waits: z.number().int().openapi({ description: 'Times the provider’s rate limit (429) was waited out' }),
  })
  .openapi('IntegrationSyncCounts');

const SyncSchema = z
  .object({
    id: z.string(),
    integration_id: z.string(),
    trigger: z.enum(['import', 'manual', 'cron']),
    status: z.enum(['queued', 'running', 'completed', 'completed_with_errors', 'failed', 'cancelled']),
    job_id: z.string(),
    counts: CountsSchema,
    errors: z
      .array(
        z.object({
          external_id: z.string().nullable(),
          title: z.string().nullable(),
          code: z.string(),
          message: z.string(),
        }),
      )
      .openapi({ description: 'Each page (or source) that failed, at most 100' }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: 'Why the whole sync stopped (a refused token, the provider’s rate limit, …)' }),
    created_at: TimestampSchema,
    started_at: TimestampSchema.nullable(),
    ended_at: TimestampSchema.nullable(),
  })
  .openapi('IntegrationSync');

const StartedSchema = z
  .object({ sync: SyncSchema, job_id: z.string(), sources: z.array(SourceSchema).optional() })
  .openapi('IntegrationSyncStarted');

const PageSchema = z
  .object({
    id: z.string(),
    external_id: z.string(),
    title: z.string(),
    url: z.string().nullable(),
    last_edited_at: TimestampSchema.nullable().openapi({ description: 'The provider’s last-edited time now indexed' }),
    kb_document_id: z.string().nullable(),
    status: z.enum(['synced', 'error']),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    synced_at: TimestampSchema.nullable(),
  })
  .openapi('IntegrationPage');

const presentSource = (row: IntegrationSourceRow) => ({
  id: row.id,
  kind: row.kind,
  external_id: row.externalId,
  title: row.title,
  status: row.status,
  created_at: row.createdAt,
});

const presentSync = (row: IntegrationSyncRow) => ({
  id: row.id,
  integration_id: row.integrationId,
  trigger: row.trigger,
  status: row.status,
  job_id: row.jobId,
  counts: row.counts as z.infer<typeof CountsSchema>,
  errors: row.errors as z.infer<typeof SyncSchema>['errors'],
  error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
  created_at: row.createdAt,
  started_at: row.startedAt,
  ended_at: row.endedAt,
});

const presentPage = (row: IntegrationPageRow) => ({
  id: row.id,
  external_id: row.externalId,
  title: row.title,
  url: row.url,
  last_edited_at: row.lastEditedAt,
  kb_document_id: row.kbDocumentId,
  status: row.status,
  error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
  synced_at: row.syncedAt,
});

const read = { scope: 'integrations:read' } as const;
const write = { scope: 'integrations:write' } as const;
const BUSY = 'A sync of the integration is already queued or running (409, with its `sync_id`).';

const importRoute = defineRoute(write, {
  method: 'post',
  path: '/integrations/{id}/import',
  operationId: 'importIntegrationPages',
  tags: TAGS,
  summary: 'Import pages or spaces into the knowledge base',
  description:
    'Adds the pages (Notion: with their sub-pages) or Confluence spaces to what the integration covers, and starts a ' +
    'sync (202): each page becomes a Markdown document of the knowledge base (`source_type: integration`, tagged ' +
    '`notion` or `confluence`), and later syncs keep it current. Ids that cannot be the provider’s are 400 by field; ' +
    'ones the provider does not know show as `not_found` sources and in the sync’s errors. ' +
    BUSY,
  request: { params: IdParams, body: jsonBody(ImportSchema) },
  responses: { 202: jsonResponse(StartedSchema, 'The sources and the sync'), ...errorResponses([404, 409]) },
});
const syncRoute = defineRoute(write, {
  method: 'post',
  path: '/integrations/{id}/sync',
  operationId: 'syncIntegration',
  tags: TAGS,
  summary: 'Sync now: re-index the pages that changed, remove the ones that are gone',
  description:
    'Lists every page the sources cover and compares its last-edited time with the one indexed: only new and changed ' +
    'pages are read and re-indexed (at most 200 per sync; the rest are `deferred` to the next). A page that is gone ' +
    'from the provider leaves the knowledge base; nothing is removed when the listing failed or was cut short. The ' +
    'provider’s 429s are waited out as Retry-After asks (up to 60 s each). 409 when nothing is imported yet. ' +
    BUSY +
    ' The cron also syncs every integration each INTEGRATION_SYNC_MINUTES (default 60).',
  request: { params: IdParams },
  responses: { 202: jsonResponse(StartedSchema, 'The sync'), ...errorResponses([404, 409]) },
});
const sourcesRoute = defineRoute(read, {
  method: 'get',
  path: '/integrations/{id}/sources',
  operationId: 'listIntegrationSources',
  tags: TAGS,
  summary: 'What the integration imports: its selected pages and spaces',
  request: { params: IdParams },
  responses: { 200: jsonResponse(z.array(SourceSchema), 'The sources, oldest first'), ...errorResponses([404]) },
});
const deleteSourceRoute = defineRoute(write, {
  method: 'delete',
  path: '/integrations/{id}/sources/{source_id}',
  operationId: 'deleteIntegrationSource',
  tags: TAGS,
  summary: 'Stop importing a page or space',
  description: 'The pages no other source covers leave the knowledge base at the next sync.',
  request: { params: SourceParams },
  responses: { 204: { description: 'Removed' }, ...errorResponses([404]) },
});
const pagesRoute = defineRoute(read, {
  method: 'get',
  path: '/integrations/{id}/pages',
  operationId: 'listIntegrationPages',
  tags: TAGS,
  summary: 'The pages imported, with their documents and last errors, newest first',
  request: { params: IdParams, query: PageQuerySchema },
  responses: { 200: paginatedResponse(PageSchema, 'A page of imported pages'), ...errorResponses([404]) },
});
const syncsRoute = defineRoute(read, {
  method: 'get',
  path: '/integrations/{id}/syncs',
  operationId: 'listIntegrationSyncs',
  tags: TAGS,
  summary: 'The sync log, newest first',
  request: { params: IdParams, query: PageQuerySchema },
  responses: { 200: paginatedResponse(SyncSchema, 'A page of syncs'), ...errorResponses([404]) },
});
const getSyncRoute = defineRoute(read, {
  method: 'get',
  path: '/integrations/{id}/syncs/{sync_id}',
  operationId: 'getIntegrationSync',
  tags: TAGS,
  summary: 'One sync: its counts and each page’s error',
  request: { params: SyncParams },
  responses: { 200: jsonResponse(SyncSchema, 'The sync'), ...errorResponses([404]) },
});

export const registerSyncRoutes = (app: GroupApp) => {
  app.openapi(importRoute, async (c) => {
    const ctx = routeContext(c);
    const integration = await requireIntegration(ctx.db, ctx.actor.orgId, c.req.valid('param').id);
    // Checked first, so a refused import adds nothing (the running sync would not see the new sources).
    const live = await liveSync(ctx.db, ctx.actor.orgId, integration.id);
    if (live) throw conflict('A sync of this integration is already queued or running', { sync_id: live.id });
    const sources = await addSources(ctx.db, ctx.actor, integration, c.req.valid('json'));
    const { sync, job } = await startSync(ctx.db, ctx.actor, integration.id, 'import');
    await enqueueOrRecover(ctx, job, 'integration sync not enqueued');
    return ok(c, { sync: presentSync(sync), job_id: job.id, sources: sources.map(presentSource) }, 202);
  });
  app.openapi(syncRoute, async (c) => {
    const ctx = routeContext(c);
    const integration = await requireIntegration(ctx.db, ctx.actor.orgId, c.req.valid('param').id);
    const { sync, job } = await startSync(ctx.db, ctx.actor, integration.id, 'manual');
    await enqueueOrRecover(ctx, job, 'integration sync not enqueued');
    return ok(c, { sync: presentSync(sync), job_id: job.id }, 202);
  });
  app.openapi(sourcesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const integration = await requireIntegration(db, actor.orgId, c.req.valid('param').id);
    return ok(c, (await listSources(db, actor.orgId, integration.id)).map(presentSource), 200);
  });
  app.openapi(deleteSourceRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, source_id } = c.req.valid('param');
    await deleteSource(db, actor.orgId, id, source_id);
    return noContent(c);
  });
  app.openapi(pagesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const integration = await requireIntegration(db, actor.orgId, c.req.valid('param').id);
    const query = c.req.valid('query');
    const { items, total } = await listPages(db, actor.orgId, integration.id, query);
    return paginated(c, items.map(presentPage), query, total);
  });
  app.openapi(syncsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const integration = await requireIntegration(db, actor.orgId, c.req.valid('param').id);
    const query = c.req.valid('query');
    const { items, total } = await listSyncs(db, actor.orgId, integration.id, query);
    return paginated(c, items.map(presentSync), query, total);
  });
  app.openapi(getSyncRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, sync_id } = c.req.valid('param');
    return ok(c, presentSync(await getSync(db, actor.orgId, id, sync_id)), 200);
  });
};

import {
  createSummaryTemplate,
  deleteSummary,
  deleteSummaryTemplate,
  listSummaries,
  listSummaryTemplates,
  requireSummary,
  requireSummaryTemplate,
  updateSummaryTemplate,
} from '@flowspark/summaries';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { noContent, ok, paginated } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse, PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import {
  presentSummary,
  presentSummaryTemplate,
  SummaryIdParams,
  SummaryListQuery,
  SummarySchema,
  SummaryTemplateIdParams,
  SummaryTemplateInputSchema,
  SummaryTemplateSchema,
} from './schemas';

const TAGS = ['Summaries'];
const TEMPLATE_RULES =
  'Every `{{placeholder}}` of `prompt_template` must be declared in `variables` (400 naming the undeclared ones); ' +
  'a summary that uses the template gives their values in `variables`, checked against the declarations.';

const listRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'get',
    path: '/summaries',
    operationId: 'listSummaries',
    tags: TAGS,
    summary: 'Summaries, newest first',
    request: { query: SummaryListQuery },
    responses: { 200: paginatedResponse(SummarySchema, 'A page of summaries') },
  },
);
const getRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'get',
    path: '/summaries/{id}',
    operationId: 'getSummary',
    tags: TAGS,
    summary: 'A summary with its citations and the pages they come from',
    request: { params: SummaryIdParams },
    responses: { 200: jsonResponse(SummarySchema, 'The summary'), ...errorResponses([404]) },
  },
);
const deleteRoute = defineRoute(
  { scope: 'kb:write' },
  {
    method: 'delete',
    path: '/summaries/{id}',
    operationId: 'deleteSummary',
    tags: TAGS,
    summary: 'Delete a summary',
    request: { params: SummaryIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);
const listTemplatesRoute = defineRoute(
  { scope: 'templates:read' },
  {
    method: 'get',
    path: '/summary-templates',
    operationId: 'listSummaryTemplates',
    tags: TAGS,
    summary: 'Summary templates, newest first',
    request: { query: PageQuerySchema },
    responses: { 200: paginatedResponse(SummaryTemplateSchema, 'A page of summary templates') },
  },
);
const createTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'post',
    path: '/summary-templates',
    operationId: 'createSummaryTemplate',
    tags: TAGS,
    summary: 'Create a summary template: a prompt with typed variables',
    description: TEMPLATE_RULES,
    request: { body: jsonBody(SummaryTemplateInputSchema) },
    responses: { 201: jsonResponse(SummaryTemplateSchema, 'The template') },
  },
);
const getTemplateRoute = defineRoute(
  { scope: 'templates:read' },
  {
    method: 'get',
    path: '/summary-templates/{id}',
    operationId: 'getSummaryTemplate',
    tags: TAGS,
    summary: 'A summary template',
    request: { params: SummaryTemplateIdParams },
    responses: { 200: jsonResponse(SummaryTemplateSchema, 'The template'), ...errorResponses([404]) },
  },
);
const updateTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'put',
    path: '/summary-templates/{id}',
    operationId: 'updateSummaryTemplate',
    tags: TAGS,
    summary: 'Replace a summary template',
    description: TEMPLATE_RULES,
    request: { params: SummaryTemplateIdParams, body: jsonBody(SummaryTemplateInputSchema) },
    responses: { 200: jsonResponse(SummaryTemplateSchema, 'The template'), ...errorResponses([404]) },
  },
);
const deleteTemplateRoute = defineRoute(
  { scope: 'templates:write' },
  {
    method: 'delete',
    path: '/summary-templates/{id}',
    operationId: 'deleteSummaryTemplate',
    tags: TAGS,
    summary: 'Delete a summary template (summaries made with it keep their text)',
    request: { params: SummaryTemplateIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

const register = (app: GroupApp) => {
  app.openapi(listRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listSummaries(db, actor.orgId, query);
    return paginated(c, items.map(presentSummary), query, total);
  });
  app.openapi(getRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentSummary(await requireSummary(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteSummary(db, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
  app.openapi(listTemplatesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listSummaryTemplates(db, actor.orgId, query);
    return paginated(c, items.map(presentSummaryTemplate), query, total);
  });
  app.openapi(createTemplateRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentSummaryTemplate(await createSummaryTemplate(db, actor, c.req.valid('json'))), 201);
  });
  app.openapi(getTemplateRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentSummaryTemplate(await requireSummaryTemplate(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(updateTemplateRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const row = await updateSummaryTemplate(db, actor.orgId, c.req.valid('param').id, c.req.valid('json'));
    return ok(c, presentSummaryTemplate(row), 200);
  });
  app.openapi(deleteTemplateRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteSummaryTemplate(db, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
};

/** Summaries of knowledge-base documents and their templates: `/summaries…`, `/summary-templates…`. */
const app = createGroup();
register(app);

export default app;

import {
  addCondition,
  createBook,
  createPage,
  deleteBook,
  deletePage,
  listBooks,
  listPages,
  type PageInput,
  pageCounts,
  replacePage,
  requireBook,
  requirePage,
  setConditions,
  updateBook,
} from '@flowspark/booklet/books';
import { startBookletGeneration } from '@flowspark/booklet/files';
import { presentJob } from '@flowspark/jobs';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { enqueueOrRecover } from '../../lib/jobs';
import { noContent, ok, paginated } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse, PageQuerySchema, paginatedResponse } from '../../lib/schemas';
import { JobSchema } from '../jobs/schemas';
import {
  BookIdParams,
  BookSchema,
  ConditionInputSchema,
  ConditionSchema,
  ConditionsBodySchema,
  CreateBookSchema,
  GenerateBookletSchema,
  PageIdParams,
  PageInputSchema,
  PageSchema,
  presentBook,
  presentCondition,
  presentPage,
  TAGS,
  UpdateBookSchema,
} from './schemas';

const route = <T extends Parameters<typeof defineRoute>[1]>(write: boolean, spec: T) =>
  defineRoute({ scope: write ? 'documents:write' : 'documents:read' }, { tags: TAGS, ...spec });

const PAGE_RULES =
  '`type` decides `config`: static `{ pages?: "1-3,5" }` (its `upload_id` a PDF); pdf_form `{ field_map: ' +
  '{ <PDF field>: <attribute key> }, period?, on_missing? }` (every mapped field must be in the PDF form); ' +
  'choosable `{ fallback: "skip" | "error", period? }` with `conditions: [{ attribute_key, attribute_value, ' +
  'target_upload_id }]`; excel `{ sheet, range?, header? }` (its workbook, or the one given to the generation). ' +
  'A page that does not fit its uploads is 400 naming the field.';

const listBooksRoute = route(false, {
  method: 'get',
  path: '/books',
  operationId: 'listBooks',
  summary: "The organization's books, newest first",
  request: { query: PageQuerySchema },
  responses: { 200: paginatedResponse(BookSchema, 'A page of books') },
});
const createBookRoute = route(true, {
  method: 'post',
  path: '/books',
  operationId: 'createBook',
  summary: 'Create a book: an ordered list of pages, generated into one PDF booklet per customer',
  request: { body: jsonBody(CreateBookSchema) },
  responses: { 201: jsonResponse(BookSchema, 'The book') },
});
const getBookRoute = route(false, {
  method: 'get',
  path: '/books/{id}',
  operationId: 'getBook',
  summary: 'Get a book',
  request: { params: BookIdParams },
  responses: { 200: jsonResponse(BookSchema, 'The book'), ...errorResponses([404]) },
});
const updateBookRoute = route(true, {
  method: 'put',
  path: '/books/{id}',
  operationId: 'updateBook',
  summary: "Change a book's name, description or table of contents",
  request: { params: BookIdParams, body: jsonBody(UpdateBookSchema) },
  responses: { 200: jsonResponse(BookSchema, 'The book'), ...errorResponses([404]) },
});
const deleteBookRoute = route(true, {
  method: 'delete',
  path: '/books/{id}',
  operationId: 'deleteBook',
  summary: 'Delete a book and its pages (booklets already made stay downloadable)',
  request: { params: BookIdParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
});
const listPagesRoute = route(false, {
  method: 'get',
  path: '/books/{id}/pages',
  operationId: 'listBookPages',
  summary: "A book's pages in order (order_index, then when added), with their conditions",
  request: { params: BookIdParams, query: PageQuerySchema },
  responses: { 200: paginatedResponse(PageSchema, 'A page of pages'), ...errorResponses([404]) },
});
const createPageRoute = route(true, {
  method: 'post',
  path: '/books/{id}/pages',
  operationId: 'createBookPage',
  summary: 'Add a page to a book',
  description: PAGE_RULES,
  request: { params: BookIdParams, body: jsonBody(PageInputSchema) },
  responses: { 201: jsonResponse(PageSchema, 'The page'), ...errorResponses([404]) },
});
const getPageRoute = route(false, {
  method: 'get',
  path: '/books/{id}/pages/{page_id}',
  operationId: 'getBookPage',
  summary: 'Get a page of a book',
  request: { params: PageIdParams },
  responses: { 200: jsonResponse(PageSchema, 'The page'), ...errorResponses([404]) },
});
const replacePageRoute = route(true, {
  method: 'put',
  path: '/books/{id}/pages/{page_id}',
  operationId: 'replaceBookPage',
  summary: 'Replace a page (a choosable page keeps its conditions unless `conditions` is given)',
  description: PAGE_RULES,
  request: { params: PageIdParams, body: jsonBody(PageInputSchema) },
  responses: { 200: jsonResponse(PageSchema, 'The page'), ...errorResponses([404]) },
});
const deletePageRoute = route(true, {
  method: 'delete',
  path: '/books/{id}/pages/{page_id}',
  operationId: 'deleteBookPage',
  summary: 'Remove a page from a book',
  request: { params: PageIdParams },
  responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
});
const ConditionList = z.object({ conditions: z.array(ConditionSchema) }).openapi('PageConditions');
const getConditionsRoute = route(false, {
  method: 'get',
  path: '/books/{id}/pages/{page_id}/conditions',
  operationId: 'listPageConditions',
  summary: "A choosable page's conditions, in the order they are tried",
  request: { params: PageIdParams },
  responses: { 200: jsonResponse(ConditionList, 'The conditions'), ...errorResponses([404]) },
});
const putConditionsRoute = route(true, {
  method: 'put',
  path: '/books/{id}/pages/{page_id}/conditions',
  operationId: 'replacePageConditions',
  summary: "Replace a choosable page's conditions",
  description: 'Every `target_upload_id` must be a PDF upload of the organization (400 naming the condition).',
  request: { params: PageIdParams, body: jsonBody(ConditionsBodySchema) },
  responses: { 200: jsonResponse(ConditionList, 'The conditions'), ...errorResponses([404]) },
});
const addConditionRoute = route(true, {
  method: 'post',
  path: '/books/{id}/pages/{page_id}/conditions',
  operationId: 'addPageCondition',
  summary: "Add a condition at the end of a choosable page's conditions",
  request: { params: PageIdParams, body: jsonBody(ConditionInputSchema) },
  responses: { 201: jsonResponse(ConditionList, 'The conditions'), ...errorResponses([404]) },
});
const GenerateResponse = z.object({ job: JobSchema }).openapi('BookletGeneration');
const generateRoute = route(true, {
  method: 'post',
  path: '/books/{id}/generate',
  operationId: 'generateBooklet',
  summary: 'Generate the booklet of a customer: one merged PDF (background job)',
  description:
    'Checks what it can first: the customer, each page against its uploads (a missing upload, a mapped field ' +
    'not in the form, a missing sheet, a page range outside the PDF) — 400 naming the page in the message and ' +
    '`details.page_id`. Answers 202 with the job; progress per page is on the job feed. When the job is done, ' +
    '`result.file_id` is the booklet: `GET /downloads/{file_id}`. A page that cannot be built while running ' +
    '(a broken or encrypted PDF, no matching condition with fallback error) ends the job `error` with a message ' +
    'naming the page; no file is left behind.',
  request: { params: BookIdParams, body: jsonBody(GenerateBookletSchema) },
  responses: { 202: jsonResponse(GenerateResponse, 'The job'), ...errorResponses([404]) },
});

const register = (app: GroupApp) => {
  app.openapi(listBooksRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listBooks(db, actor.orgId, page);
    const counts = await pageCounts(
      db,
      actor.orgId,
      items.map((b) => b.id),
    );
    return paginated(
      c,
      items.map((b) => presentBook(b, counts.get(b.id) ?? 0)),
      page,
      total,
    );
  });
  app.openapi(createBookRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, presentBook(await createBook(db, actor, c.req.valid('json')), 0), 201);
  });
  app.openapi(getBookRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id } = c.req.valid('param');
    const [book, counts] = await Promise.all([requireBook(db, actor.orgId, id), pageCounts(db, actor.orgId, [id])]);
    return ok(c, presentBook(book, counts.get(id) ?? 0), 200);
  });
  app.openapi(updateBookRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id } = c.req.valid('param');
    const book = await updateBook(db, actor.orgId, id, c.req.valid('json'));
    const counts = await pageCounts(db, actor.orgId, [id]);
    return ok(c, presentBook(book, counts.get(id) ?? 0), 200);
  });
  app.openapi(deleteBookRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteBook(db, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
  app.openapi(listPagesRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const page = c.req.valid('query');
    const { items, total } = await listPages(db, actor.orgId, c.req.valid('param').id, page);
    return paginated(c, items.map(presentPage), page, total);
  });
  app.openapi(createPageRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const row = await createPage(db, actor.orgId, c.req.valid('param').id, c.req.valid('json') as PageInput);
    return ok(c, presentPage(row), 201);
  });
  app.openapi(getPageRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, page_id } = c.req.valid('param');
    return ok(c, presentPage(await requirePage(db, actor.orgId, id, page_id)), 200);
  });
  app.openapi(replacePageRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, page_id } = c.req.valid('param');
    const row = await replacePage(db, actor.orgId, id, page_id, c.req.valid('json') as PageInput);
    return ok(c, presentPage(row), 200);
  });
  app.openapi(deletePageRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, page_id } = c.req.valid('param');
    await deletePage(db, actor.orgId, id, page_id);
    return noContent(c);
  });
  app.openapi(getConditionsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, page_id } = c.req.valid('param');
    const page = await requirePage(db, actor.orgId, id, page_id);
    return ok(c, { conditions: page.conditions.map(presentCondition) }, 200);
  });
  app.openapi(putConditionsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, page_id } = c.req.valid('param');
    const rows = await setConditions(db, actor.orgId, id, page_id, c.req.valid('json').conditions);
    return ok(c, { conditions: rows.map(presentCondition) }, 200);
  });
  app.openapi(addConditionRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const { id, page_id } = c.req.valid('param');
    const rows = await addCondition(db, actor.orgId, id, page_id, c.req.valid('json'));
    return ok(c, { conditions: rows.map(presentCondition) }, 201);
  });
  app.openapi(generateRoute, async (c) => {
    const ctx = routeContext(c);
    const { job } = await startBookletGeneration(ctx.db, ctx.actor, c.req.valid('param').id, c.req.valid('json'));
    await enqueueOrRecover(ctx, job, 'booklet job not enqueued');
    return ok(c, { job: presentJob(job) }, 202);
  });
};

/** Books, their pages and conditions, and booklet generation: `/books…`. */
const app = createGroup();
register(app);

export default app;

import { type BookletFileRow, deleteBookletFile, listBookletFiles, requireBookletFile } from '@flowspark/booklet/files';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { binary, sendObject } from '../../lib/download';
import { createGroup, type GroupApp } from '../../lib/group';
import { noContent, paginated } from '../../lib/respond';
import { errorResponses, idParam, PageQuerySchema, paginatedResponse, TimestampSchema } from '../../lib/schemas';

const TAGS = ['Booklets'];
const FILE_ID_EXAMPLE = 'fil_60718293a4b5c6d7e8f90a1b2c3d4e5f';
const FileIdParams = z.object({ file_id: idParam('file_id', FILE_ID_EXAMPLE) });

const FileSchema = z
  .object({
    id: z.string().openapi({ example: FILE_ID_EXAMPLE }),
    book_id: z.string(),
    customer_id: z.string(),
    job_id: z.string(),
    filename: z.string(),
    content_type: z.literal('application/pdf'),
    size_bytes: z.number().int(),
    sha256: z.string(),
    page_count: z.number().int(),
    created_at: TimestampSchema,
  })
  .openapi('BookletFile');

const present = (row: BookletFileRow) => ({
  id: row.id,
  book_id: row.bookId,
  customer_id: row.customerId,
  job_id: row.jobId,
  filename: row.filename,
  content_type: 'application/pdf' as const,
  size_bytes: row.sizeBytes,
  sha256: row.sha256,
  page_count: row.pageCount,
  created_at: row.createdAt,
});

const ListQuery = PageQuerySchema.extend({
  book_id: z.string().min(1).max(64).optional().openapi({ description: 'Only the booklets of this book' }),
});

const listRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/downloads',
    operationId: 'listDownloads',
    tags: TAGS,
    summary: 'Generated booklets, newest first',
    request: { query: ListQuery },
    responses: { 200: paginatedResponse(FileSchema, 'A page of generated files') },
  },
);
const downloadRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/downloads/{file_id}',
    operationId: 'download',
    tags: TAGS,
    summary: 'Download a generated booklet (the `file_id` of its job’s result)',
    description:
      'The PDF with `Content-Length`, `ETag` (If-None-Match → 304), `X-Content-SHA256` and a `Content-Disposition` ' +
      'naming the book and customer. Another organization’s file is 404.',
    request: { params: FileIdParams },
    responses: {
      200: { description: 'The PDF', content: { 'application/pdf': { schema: binary } } },
      304: { description: 'Not modified (If-None-Match matched)' },
      ...errorResponses([404]),
    },
  },
);
const deleteRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'delete',
    path: '/downloads/{file_id}',
    operationId: 'deleteDownload',
    tags: TAGS,
    summary: 'Delete a generated booklet',
    request: { params: FileIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

const register = (app: GroupApp) => {
  app.openapi(listRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listBookletFiles(db, actor.orgId, query);
    return paginated(c, items.map(present), query, total);
  });
  app.openapi(downloadRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const row = await requireBookletFile(db, actor.orgId, c.req.valid('param').file_id);
    return sendObject(c, row.fileKey, {
      missing: 'File',
      cacheControl: 'private, no-cache',
      headers: { 'X-Content-SHA256': row.sha256 },
      describe: () => ({ contentType: 'application/pdf', filename: row.filename }),
    });
  });
  app.openapi(deleteRoute, async (c) => {
    const { db, actor } = routeContext(c);
    await deleteBookletFile(db, c.env.FILES, actor.orgId, c.req.valid('param').file_id);
    return noContent(c);
  });
};

/** Generated booklets: `/downloads…`. */
const app = createGroup();
register(app);

export default app;

// The rows only: the inspection (and its parsers) runs in the jobs Worker.
import {
  createUpload,
  deleteUpload,
  listUploads,
  maxUploadBytes,
  requireUpload,
  type UploadRow,
} from '@flowspark/booklet/uploads';
import { AppError, payloadTooLarge } from '@flowspark/core';
import { z } from '@hono/zod-openapi';
import { fromOutcome } from '../../../lib/jobs-service';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { createGroup, type GroupApp } from '../../lib/group';
import { noContent, ok, paginated } from '../../lib/respond';
import {
  errorResponses,
  idParam,
  jsonResponse,
  PageQuerySchema,
  paginatedResponse,
  TimestampSchema,
} from '../../lib/schemas';

const UPLOAD_ID_EXAMPLE = 'upl_1b2c3d4e5f60718293a4b5c6d7e8f901';
const uploadIdParams = z.object({ id: idParam('id', UPLOAD_ID_EXAMPLE) });

const UploadSchema = z
  .object({
    id: z.string().openapi({ example: UPLOAD_ID_EXAMPLE }),
    filename: z.string().nullable(),
    kind: z.enum(['pdf', 'xlsx']).openapi({ description: 'Read from the content, not the name' }),
    size_bytes: z.number().int(),
    sha256: z.string(),
    page_count: z.number().int().nullable().openapi({ description: 'A PDF’s pages; null for a workbook' }),
    form_fields: z
      .array(z.object({ name: z.string(), type: z.enum(['text', 'checkbox', 'dropdown', 'radio', 'other']) }))
      .nullable()
      .openapi({ description: 'A PDF’s form fields (empty for a PDF without a form); null for a workbook' }),
    sheets: z
      .array(z.object({ name: z.string() }))
      .nullable()
      .openapi({ description: 'A workbook’s sheets; null for a PDF' }),
    created_at: TimestampSchema,
  })
  .openapi('Upload');

const isFile = (value: unknown): value is File => value instanceof File;
const UploadFormSchema = z
  .strictObject({
    file: z
      .custom<File>(isFile, 'Expected a file')
      .openapi({ type: 'string', format: 'binary', description: 'A PDF or an XLSX workbook' }),
  })
  .openapi('UploadRequest');

const ListQuery = PageQuerySchema.extend({ kind: z.enum(['pdf', 'xlsx']).optional() });

const present = (row: UploadRow) => {
  const info = row.info as {
    page_count?: number;
    form_fields?: { name: string; type: string }[];
    sheets?: { name: string }[];
  };
  return {
    id: row.id,
    filename: row.filename,
    kind: row.kind,
    size_bytes: row.sizeBytes,
    sha256: row.sha256,
    page_count: info.page_count ?? null,
    form_fields: (info.form_fields ?? null) as z.infer<typeof UploadSchema>['form_fields'],
    sheets: info.sheets ?? null,
    created_at: row.createdAt,
  };
};

export const createUploadRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'post',
    path: '/uploads',
    operationId: 'createUpload',
    tags: ['Booklets'],
    summary: 'Upload a PDF or an XLSX workbook for booklets',
    description:
      'multipart/form-data with `file` (at most 25 MB). The content decides: a PDF (its pages and form fields are ' +
      'read) or an XLSX workbook (its sheets); anything else is 415 `UNSUPPORTED_MEDIA_TYPE`, a PDF or workbook that ' +
      'cannot be read (damaged, encrypted, empty, an unsafe archive) is 422 with `details.reason`. Stored in R2 ' +
      'under the organization with its SHA-256.',
    request: { body: { required: true, content: { 'multipart/form-data': { schema: UploadFormSchema } } } },
    responses: { 201: jsonResponse(UploadSchema, 'The upload'), ...errorResponses([413, 415, 422]) },
  },
);

export const listUploadsRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/uploads',
    operationId: 'listUploads',
    tags: ['Booklets'],
    summary: "The organization's uploads, newest first",
    request: { query: ListQuery },
    responses: { 200: paginatedResponse(UploadSchema, 'A page of uploads') },
  },
);

export const getUploadRoute = defineRoute(
  { scope: 'documents:read' },
  {
    method: 'get',
    path: '/uploads/{id}',
    operationId: 'getUpload',
    tags: ['Booklets'],
    summary: 'An upload: a PDF’s page count and form fields, or a workbook’s sheets',
    request: { params: uploadIdParams },
    responses: { 200: jsonResponse(UploadSchema, 'The upload'), ...errorResponses([404]) },
  },
);

export const deleteUploadRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'delete',
    path: '/uploads/{id}',
    operationId: 'deleteUpload',
    tags: ['Booklets'],
    summary: 'Delete an upload and its file',
    request: { params: uploadIdParams },
    responses: { 204: { description: 'Deleted' }, ...errorResponses([404]) },
  },
);

const register = (app: GroupApp) => {
  app.openapi(createUploadRoute, async (c) => {
    const { file } = c.req.valid('form');
    const ctx = routeContext(c);
    const max = maxUploadBytes(ctx.env as unknown as { BOOKLET_MAX_UPLOAD_BYTES?: string });
    if (file.size > max)
      throw payloadTooLarge(`The file must be at most ${max / 1024 / 1024} MB`, { limit: max, actual: file.size });
    if (file.size === 0) {
      throw new AppError('VALIDATION_ERROR', 'Request validation failed', {
        details: { fields: { file: ['The file is empty'] } },
      });
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    // Read where the parsers live (the jobs Worker), so the API Worker starts without them.
    const info = fromOutcome(await ctx.env.JOBS_SERVICE.inspectUpload(bytes));
    const filename = file.name ? (file.name.split(/[\\/]/).pop() ?? null) : null;
    const row = await createUpload(ctx.db, ctx.env.FILES, ctx.actor, { filename: filename || null, bytes, info });
    return ok(c, present(row), 201);
  });
  app.openapi(listUploadsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const query = c.req.valid('query');
    const { items, total } = await listUploads(db, actor.orgId, query);
    return paginated(c, items.map(present), query, total);
  });
  app.openapi(getUploadRoute, async (c) => {
    const { db, actor } = routeContext(c);
    return ok(c, present(await requireUpload(db, actor.orgId, c.req.valid('param').id)), 200);
  });
  app.openapi(deleteUploadRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    await deleteUpload(db, env.FILES, actor.orgId, c.req.valid('param').id);
    return noContent(c);
  });
};

/** Booklet uploads: `/uploads…`. */
const app = createGroup();
register(app);

export default app;

import { presentDocument, updateDocument } from '@flowspark/content';
import { createDb } from '@flowspark/db';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { DocumentIdParams, DocumentSchema, UpdateDocumentSchema } from './schemas';
import { enqueueGeneration } from './shared';

export const updateDocumentRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'put',
    path: '/documents/{id}',
    operationId: 'updateDocument',
    tags: ['Documents'],
    summary: 'Change a document; new content, prompt or input data renders a new version',
    description:
      '`title` and `description` alone are 200 with the updated document (no new version). A change of `content`, ' +
      '`prompt` or `input_data` starts a new render: 202 with the document (`processing`) and the new `job_id`; the ' +
      'new version becomes current once stored, and every older version stays downloadable ' +
      '(`GET /documents/{id}/download?version=N`). While a render is running: 409 CONFLICT.',
    request: { params: DocumentIdParams, body: jsonBody(UpdateDocumentSchema) },
    responses: {
      200: jsonResponse(DocumentSchema, 'Updated; no new version'),
      202: jsonResponse(DocumentSchema, 'A new version is being rendered'),
      ...errorResponses([404, 409, 413, 422]),
    },
  },
);

export const registerUpdateDocument = (app: GroupApp) =>
  app.openapi(updateDocumentRoute, async (c) => {
    const { orgId, userId } = c.get('auth');
    const { id } = c.req.valid('param');
    const { document, job } = await updateDocument(createDb(c.env.DB), { orgId, userId }, id, c.req.valid('json'));
    if (!job) return ok(c, presentDocument(document), 200);
    await enqueueGeneration(c, job);
    return ok(c, presentDocument(document), 202);
  });

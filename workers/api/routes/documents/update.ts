import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentDocument } from './present';
import { DocumentIdParams, DocumentSchema, UpdateDocumentSchema } from './schemas';
import { update } from './shared';

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
    const { document, rendering } = await update(c, c.req.valid('param').id, c.req.valid('json'));
    return ok(c, presentDocument(document), rendering ? 202 : 200);
  });

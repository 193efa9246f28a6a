import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { CreateKbTextSchema, KbDocumentAcceptedSchema } from './schemas';
import { acceptDocument, textDocument } from './shared';

export const createKbTextRoute = defineRoute(
  { scope: 'kb:write' },
  {
    method: 'post',
    path: '/kb/documents/text',
    operationId: 'createKbTextDocument',
    tags: ['Knowledge base'],
    summary: 'Add a text (plain or Markdown) to the knowledge base',
    description:
      'The text (at most 2,000,000 characters) is stored as a .txt or .md file and indexed like an upload: 202 with ' +
      'the document (status `uploading`) and its `kb.ingest` job, or 200 with `duplicate: true` when the same text ' +
      'is already there.',
    request: { body: jsonBody(CreateKbTextSchema) },
    responses: {
      202: jsonResponse(KbDocumentAcceptedSchema, 'The new document and its indexing job'),
      200: jsonResponse(KbDocumentAcceptedSchema, 'The same text was already there: that document'),
      ...errorResponses([413]),
    },
  },
);

export const registerCreateKbText = (app: GroupApp) =>
  app.openapi(createKbTextRoute, async (c) => {
    const { status, body } = await acceptDocument(c, textDocument(c, c.req.valid('json')));
    return ok(c, body, status);
  });

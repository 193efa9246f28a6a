import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { KbDocumentAcceptedSchema, UploadKbDocumentSchema } from './schemas';
import { acceptDocument, uploadedDocument } from './shared';

export const uploadKbDocumentRoute = defineRoute(
  { scope: 'kb:write' },
  {
    method: 'post',
    path: '/kb/documents/upload',
    operationId: 'uploadKbDocument',
    tags: ['Knowledge base'],
    summary: 'Add a file to the knowledge base',
    description:
      'multipart/form-data with `file` (at most 20 MB), optional `title`, `tags` (comma-separated or a JSON array; ' +
      'at most 20 of at most 50 characters) and `category`. The type is read from the content (PDF, DOCX, HTML, ' +
      'Markdown, plain text, CSV; anything else is 415). Answers 202 with the document (status `uploading`) and its ' +
      '`kb.ingest` job; the document becomes `processing` when the job starts, then `indexed` or `failed` ' +
      '(`error_code`, `error_message`). The same content (SHA-256) already in the knowledge base is answered with ' +
      '200, that document and `duplicate: true`: no new document, no job.',
    request: { body: { required: true, content: { 'multipart/form-data': { schema: UploadKbDocumentSchema } } } },
    responses: {
      202: jsonResponse(KbDocumentAcceptedSchema, 'The new document and its indexing job'),
      200: jsonResponse(KbDocumentAcceptedSchema, 'The same content was already there: that document'),
      ...errorResponses([413, 415]),
    },
  },
);

export const registerUploadKbDocument = (app: GroupApp) =>
  app.openapi(uploadKbDocumentRoute, async (c) => {
    const { status, body } = await acceptDocument(c, await uploadedDocument(c, c.req.valid('form')));
    return ok(c, body, status);
  });

import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { CreateKbTextSchema, KbDocumentAcceptedSchema } from './schemas';
import { acceptDocument, maxUploadBytes, tooLarge } from './shared';

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
    const input = c.req.valid('json');
    const bytes = new TextEncoder().encode(input.text);
    const max = maxUploadBytes(c);
    if (bytes.byteLength > max) throw tooLarge(bytes.byteLength, max);
    const { status, body } = await acceptDocument(c, {
      title: input.title,
      source_type: 'text',
      filename: null,
      type: input.format === 'markdown' ? 'markdown' : 'text',
      bytes,
      tags: input.tags ?? [],
      category: input.category ?? null,
    });
    return ok(c, body, status);
  });

import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { presentDocument } from './present';
import { DocumentSchema, GenerateDocumentSchema } from './schemas';
import { generate } from './shared';

export const generateDocumentRoute = defineRoute(
  { scope: 'documents:write' },
  {
    method: 'post',
    path: '/documents/generate',
    operationId: 'generateDocument',
    tags: ['Documents'],
    summary: 'Generate a DOCX, PDF or XLSX document from a prompt, a template or a document model',
    description:
      'Give a `prompt` (the AI writes the document), a `template_id` (its variables are filled from `input_data` ' +
      'and checked against their declarations: a missing or wrong-typed variable is 400 naming it), both, or ' +
      '`content` (a document model rendered as given). A DOCX-file template makes docx, a PDF-form template pdf; ' +
      'model templates any format. Answers 202 with the document (`pending`) and its `job_id`: follow the job ' +
      '(`GET /jobs/{id}`, SSE or the job feed), then `GET /documents/{id}/download`. Slide decks: ' +
      '`POST /presentations/generate`.',
    request: { body: jsonBody(GenerateDocumentSchema) },
    responses: {
      202: jsonResponse(DocumentSchema, 'The document, pending, with its job_id'),
      ...errorResponses([402, 404, 413]),
    },
  },
);

export const registerGenerateDocument = (app: GroupApp) =>
  app.openapi(generateDocumentRoute, async (c) => {
    const document = await generate(c, { kind: 'document', ...c.req.valid('json') });
    return ok(c, presentDocument(document), 202);
  });

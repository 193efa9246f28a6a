import { botScope, requireTrainableBot } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonResponse } from '../../lib/schemas';
import { KbDocumentAcceptedSchema } from '../kb/schemas';
import { acceptDocument, uploadedDocument } from '../kb/shared';
import { botIdParams, UploadBotDocumentSchema } from './schemas';

export const uploadBotDocumentRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'post',
    path: '/bots/{id}/documents/upload',
    operationId: 'uploadBotDocument',
    tags: ['Chat'],
    summary: 'Train a bot on a file',
    description:
      'multipart/form-data with `file` (at most 20 MB) and an optional `title`. The file goes through the ' +
      'knowledge-base pipeline into the bot’s own indexes: a `rag` bot answers from its documents only, never from ' +
      'the knowledge base or another bot’s. The type is read from the content (PDF, DOCX, HTML, Markdown, plain ' +
      'text, CSV; anything else is 415). Answers 202 with the document (status `uploading`) and its `kb.ingest` job ' +
      '(follow it on the job feed); the document becomes `indexed`, or `failed` with `error_code` and ' +
      '`error_message`. The same content already among the bot’s documents is answered with 200 and ' +
      '`duplicate: true`. Only owners and admins may train a public bot.',
    request: {
      params: botIdParams,
      body: { required: true, content: { 'multipart/form-data': { schema: UploadBotDocumentSchema } } },
    },
    responses: {
      202: jsonResponse(KbDocumentAcceptedSchema, 'The new document and its indexing job'),
      200: jsonResponse(KbDocumentAcceptedSchema, 'The same content was already there: that document'),
      ...errorResponses([403, 404, 413, 415]),
    },
  },
);

export const registerUploadBotDocument = (app: GroupApp) =>
  app.openapi(uploadBotDocumentRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const bot = await requireTrainableBot(db, actor, c.req.valid('param').id);
    const document = await uploadedDocument(c, c.req.valid('form'));
    const { status, body } = await acceptDocument(c, { ...document, bot_id: botScope(bot).botId });
    return ok(c, body, status);
  });

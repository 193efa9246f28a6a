import { botScope, requireTrainableBot } from '@flowspark/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { errorResponses, jsonBody, jsonResponse } from '../../lib/schemas';
import { KbDocumentAcceptedSchema } from '../kb/schemas';
import { acceptDocument, textDocument } from '../kb/shared';
import { botIdParams, CreateBotTextSchema } from './schemas';

export const createBotTextRoute = defineRoute(
  { scope: 'bots:write' },
  {
    method: 'post',
    path: '/bots/{id}/documents/text',
    operationId: 'createBotTextDocument',
    tags: ['Chat'],
    summary: 'Train a bot on a text (plain or Markdown)',
    description:
      '`{ title, text, format? }`: the text (at most 2,000,000 characters) is stored as a .txt or .md file and ' +
      'indexed into the bot’s own indexes like an upload: 202 with the document (status `uploading`) and its ' +
      '`kb.ingest` job, or 200 with `duplicate: true` when the bot already has the same text. Only owners and admins ' +
      'may train a public bot.',
    request: { params: botIdParams, body: jsonBody(CreateBotTextSchema) },
    responses: {
      202: jsonResponse(KbDocumentAcceptedSchema, 'The new document and its indexing job'),
      200: jsonResponse(KbDocumentAcceptedSchema, 'The same text was already there: that document'),
      ...errorResponses([403, 404, 413]),
    },
  },
);

export const registerCreateBotText = (app: GroupApp) =>
  app.openapi(createBotTextRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const bot = await requireTrainableBot(db, actor, c.req.valid('param').id);
    const document = textDocument(c, c.req.valid('json'));
    const { status, body } = await acceptDocument(c, { ...document, bot_id: botScope(bot).botId });
    return ok(c, body, status);
  });

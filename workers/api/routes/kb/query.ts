import { answerKb, prepareKbAnswer, streamKbAnswer } from '@flowspark/kb';
import { z } from '@hono/zod-openapi';
import { aiProvider } from '../../../lib/ai';
import { billedProvider } from '../../../lib/wallet';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { envelope, errorResponses, jsonBody } from '../../lib/schemas';
import { answerEventStream } from './answer-stream';
import { KbAnswerSchema, QueryKbSchema } from './schemas';
import { kbPortsOf, searchOptions } from './shared';

export const queryKbRoute = defineRoute(
  { scope: 'kb:read' },
  {
    method: 'post',
    path: '/kb/query',
    operationId: 'queryKb',
    tags: ['Knowledge base'],
    summary: 'Ask the knowledge base: an answer with citations',
    description:
      'Retrieves the most relevant passages (`mode`, `top_k`, `filters` as in search), asks the AI provider to answer ' +
      'from them only and to cite them as [n], and answers with the citations (document, page, snippet). When ' +
      'nothing relevant is found no model is asked and the answer says so (`model` null, no citations). With ' +
      '`Accept: text/event-stream` the answer streams: `event: token` ({"text"}) deltas, then `event: citations` ' +
      '({"citations"}), then `event: done` ({"usage","model","timings","query_id"}); a failure mid-stream sends ' +
      '`event: error` ({"code","message"}). Every question is recorded (GET /kb/queries). An answer is paid from the ' +
      "organization's token wallet: its estimate (the prompt and the longest answer) is reserved before the model is " +
      'asked and its actual usage is debited after; 402 `INSUFFICIENT_TOKENS` (`details.required`, `details.available`) ' +
      'when not enough tokens are available, before any provider cost.',
    request: { body: jsonBody(QueryKbSchema) },
    responses: {
      200: {
        description: 'The answer (JSON), or its event stream',
        content: {
          'application/json': { schema: envelope(KbAnswerSchema) },
          'text/event-stream': {
            schema: z.string().openapi({
              example:
                'event: token\ndata: {"text":"New employees get"}\n\nevent: citations\ndata: {"citations":[…]}\n\n' +
                'event: done\ndata: {"usage":{…},"model":"…","timings":{…},"query_id":"kbq_…"}\n\n',
            }),
          },
        },
      },
      ...errorResponses([402]),
    },
  },
);

export const registerQueryKb = (app: GroupApp) =>
  app.openapi(queryKbRoute, async (c) => {
    const body = c.req.valid('json');
    const { actor } = routeContext(c);
    const ports = kbPortsOf(c);
    // Each answer is paid from the organization's wallet: its estimate reserved before the model is
    // asked (402 INSUFFICIENT_TOKENS otherwise), its usage settled after.
    const ai = billedProvider(
      c.env,
      aiProvider(c.env),
      { orgId: actor.orgId, feature: 'kb.answer', userId: actor.userId },
      c.get('timings'),
    );
    // Retrieval happens before any byte is sent, so its failures are ordinary error responses.
    const prepared = await prepareKbAnswer(ports, actor.orgId, body, searchOptions(c));
    if ((c.req.header('accept') ?? '').includes('text/event-stream')) {
      return answerEventStream(c, streamKbAnswer(ports.db, ai, actor, prepared));
    }
    return ok(c, await answerKb(ports.db, ai, actor, prepared), 200);
  });

import {
  completeReply,
  MAX_MESSAGE_CHARS,
  NO_CONTEXT_REPLY,
  prepareReply,
  type ReplyEvent,
  streamReply,
} from '@flowspark/chat';
import { z } from '@hono/zod-openapi';
import { chatPorts } from '../../../lib/chat';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import { eventStream, wantsEventStream } from '../../lib/event-stream';
import type { GroupApp } from '../../lib/group';
import { ok } from '../../lib/respond';
import { envelope, errorResponses, jsonBody } from '../../lib/schemas';
import { presentExchange } from './present';
import { conversationIdParams, ExchangeSchema, SendMessageSchema } from './schemas';

export const sendMessageRoute = defineRoute(
  { scope: 'chat:write' },
  {
    method: 'post',
    path: '/conversations/{id}/messages',
    operationId: 'sendMessage',
    tags: ['Chat'],
    summary: 'Send a message and get the bot’s reply',
    description: [
      `\`content\` (at most ${MAX_MESSAGE_CHARS} characters) goes to the AI provider after the bot's system prompt and the`,
      'last `chat_history_length` messages of the conversation. A `rag` bot answers only from its documents: when',
      `they hold nothing for the message (or it has none), it answers "${NO_CONTEXT_REPLY}" without asking a model`,
      '(`model` null, no tokens); otherwise the reply carries `citations` to the passages of its documents it drew on',
      '(document, chunk, title, page, snippet, score). The message and the reply are stored together once the',
      'reply is complete (201 with both). A provider failure stores nothing and is 503 `SERVICE_UNAVAILABLE`',
      '(`details.reason`: `AI_PROVIDER_ERROR`, `AI_PROVIDER_TIMEOUT` or `AI_NOT_CONFIGURED`; `Retry-After` when the',
      'provider gave one).',
      '\n\nWith `Accept: text/event-stream` the reply streams: `event: token` ({"text"}) deltas, then `event: message`',
      '({"user_message","assistant_message"}) once both are stored. A failure before the first token is the 503 above;',
      'a failure later sends `event: error` ({"code","message","details"}) and stores nothing, as does a client that',
      'disconnects before the end. Sockets open on the conversation (GET /conversations/{id}/ws) receive both messages.',
    ].join(' '),
    request: { params: conversationIdParams, body: jsonBody(SendMessageSchema) },
    responses: {
      200: {
        description: 'The reply as an event stream (Accept: text/event-stream)',
        content: {
          'text/event-stream': {
            schema: z.string().openapi({
              example:
                'event: token\ndata: {"text":"We open"}\n\nevent: token\ndata: {"text":" at 9."}\n\n' +
                'event: message\ndata: {"user_message":{…},"assistant_message":{…}}\n\n',
            }),
          },
        },
      },
      201: {
        description: 'The stored message and reply',
        content: { 'application/json': { schema: envelope(ExchangeSchema) } },
      },
      ...errorResponses([402, 404, 503]),
    },
  },
);

const frame = (event: ReplyEvent) =>
  event.type === 'token'
    ? { event: 'token', data: { text: event.text } }
    : { event: 'message', data: presentExchange(event.exchange) };

export const registerSendMessage = (app: GroupApp) =>
  app.openapi(sendMessageRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { content } = c.req.valid('json');
    const { db, actor, env } = routeContext(c);
    const ports = chatPorts(env, db, { orgId: actor.orgId, userId: actor.userId, conversationId: id });
    const prepared = await prepareReply(ports, actor, id, content);
    if (wantsEventStream(c)) {
      const events = streamReply(ports, prepared);
      // Read before answering: a provider that fails at once is a 503, not a 200 with an error event.
      const first = await events.next();
      return eventStream(c, events, {
        label: 'chat reply stream',
        frame,
        last: (event) => event.type === 'message',
        first,
        errorDetails: true,
      });
    }
    return ok(c, presentExchange(await completeReply(ports, prepared)), 201);
  });

import type { FlowSparkClient } from './client';
import { FlowSparkError } from './errors';
import type { components } from './schema';
import { readEventStream } from './sse';

type Schemas = components['schemas'];

/** The events of a streamed knowledge-base answer, in order: tokens, the citations, then `done`. */
export type KbAnswerEvent =
  | { type: 'token'; text: string }
  | { type: 'citations'; citations: Schemas['KbCitation'][] }
  | ({ type: 'done' } & Pick<Schemas['KbAnswer'], 'usage' | 'model' | 'timings' | 'query_id'>);

/** The events of a streamed chat reply: tokens, then `message` with both stored messages. */
export type ChatReplyEvent = { type: 'token'; text: string } | ({ type: 'message' } & Schemas['ChatExchange']);

interface StreamOptions {
  signal?: AbortSignal;
}

/**
 * POSTs JSON asking for `text/event-stream` and yields each event's name and parsed data. An `error`
 * event (a failure after the stream began) throws FlowSparkError with its code, message and details.
 */
async function* postForEvents(
  client: FlowSparkClient,
  path: string,
  body: unknown,
  { signal }: StreamOptions,
): AsyncGenerator<{ type: string } & Record<string, unknown>> {
  const response = await client.fetch(path, {
    method: 'POST',
    headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.body) throw new FlowSparkError({ status: response.status, code: 'EMPTY_STREAM', message: 'No body' });
  for await (const event of readEventStream(response.body)) {
    const data = JSON.parse(event.data) as Record<string, unknown>;
    if (event.event === 'error') {
      throw new FlowSparkError({
        status: 0,
        code: String(data.code ?? 'STREAM_ERROR'),
        message: String(data.message ?? 'The stream failed'),
        details: (data.details as Record<string, unknown> | undefined) ?? null,
        requestId: response.headers.get('x-request-id'),
      });
    }
    yield { ...data, type: event.event };
  }
}

/**
 * A knowledge-base answer as it is written (POST /kb/query with `Accept: text/event-stream`):
 * `for await (const e of streamKbAnswer(client, { question })) if (e.type === 'token') write(e.text)`.
 */
export const streamKbAnswer = (
  client: FlowSparkClient,
  body: Schemas['QueryKbRequest'],
  options: StreamOptions = {},
): AsyncGenerator<KbAnswerEvent> =>
  postForEvents(client, '/api/v1/kb/query', body, options) as AsyncGenerator<KbAnswerEvent>;

/** A chat bot's reply as it is written (POST /conversations/{id}/messages with `Accept: text/event-stream`). */
export const streamChatReply = (
  client: FlowSparkClient,
  conversationId: string,
  body: Schemas['SendMessageRequest'],
  options: StreamOptions = {},
): AsyncGenerator<ChatReplyEvent> =>
  postForEvents(
    client,
    `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages`,
    body,
    options,
  ) as AsyncGenerator<ChatReplyEvent>;

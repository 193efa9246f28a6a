import type { KbAnswerEvent } from '@flowspark/kb';
import type { AppContext } from '../../lib/context';
import { eventStream } from '../../lib/event-stream';

/**
 * The answer as Server-Sent Events: `token` ({text}) deltas, then `citations` ({citations}), then `done`
 * ({usage, model, timings, query_id}). A failure mid-stream sends `error` ({code, message}) and closes.
 * Pull-driven: the model is read only as fast as the client reads.
 */
export const answerEventStream = async (c: AppContext, events: AsyncGenerator<KbAnswerEvent>): Promise<Response> => {
  // Read before answering: a wallet that refuses the answer (402) or a provider that fails at once is an
  // error response, not a 200 with an error event.
  const first = await events.next();
  return eventStream(c, events, {
    label: 'kb answer stream',
    frame: ({ type, ...data }) => ({ event: type, data }),
    last: (event) => event.type === 'done',
    first,
  });
};

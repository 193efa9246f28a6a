import { describeError, isAppError, logger } from '@flowspark/core';
import type { KbAnswerEvent } from '@flowspark/kb';
import { type AppContext, requestContext } from '../../lib/context';

const encoder = new TextEncoder();
const frame = (event: string, data: unknown) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

/**
 * The answer as Server-Sent Events: `token` ({text}) deltas, then `citations` ({citations}), then `done`
 * ({usage, model, timings, query_id}). A failure mid-stream sends `error` ({code, message}) and closes.
 * Pull-driven: the model is read only as fast as the client reads.
 */
export const answerEventStream = (c: AppContext, events: AsyncGenerator<KbAnswerEvent>): Response => {
  const { requestId } = requestContext(c);
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) {
          controller.close();
          return;
        }
        const { type, ...data } = next.value;
        controller.enqueue(frame(type, data));
        if (type === 'done') controller.close();
      } catch (err) {
        logger.warn('kb answer stream failed', { request_id: requestId, ...describeError(err) });
        const error = isAppError(err)
          ? { code: err.code, message: err.message }
          : { code: 'INTERNAL_ERROR', message: 'Internal server error' };
        controller.enqueue(frame('error', error));
        controller.close();
      }
    },
    async cancel() {
      // The client went away: stop asking the model.
      await events.return(undefined);
    },
  });
  return c.body(stream, 200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
};

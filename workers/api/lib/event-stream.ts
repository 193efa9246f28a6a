import { describeError, isAppError, logger } from '@flowspark/core';
import { type AppContext, requestContext } from './context';

const encoder = new TextEncoder();
const encode = (event: string, data: unknown) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export interface EventStreamOptions<E> {
  /** Names the stream in the log line of a failure. */
  label: string;
  /** The SSE event name and JSON data of an event. */
  frame: (event: E) => { event: string; data: unknown };
  /** The stream ends after the event this returns true for. */
  last: (event: E) => boolean;
  /**
   * The first event, read by the route before it answers, so that a failure before anything was
   * produced is an ordinary error response (a status and the envelope) rather than an `error` event.
   */
  first?: IteratorResult<E>;
  /** Whether an `error` event carries the error's details as well as its code and message. */
  errorDetails?: boolean;
}

/**
 * Events as Server-Sent Events. A failure mid-stream sends `error` ({code, message}) and closes.
 * Pull-driven: the events are read only as fast as the client reads, and a client that goes away
 * ends the generator (`return()`), which stops whatever produces them.
 */
export const eventStream = <E>(c: AppContext, events: AsyncGenerator<E>, options: EventStreamOptions<E>): Response => {
  const { requestId } = requestContext(c);
  let pending = options.first;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = pending ?? (await events.next());
        pending = undefined;
        if (next.done) {
          controller.close();
          return;
        }
        const { event, data } = options.frame(next.value);
        controller.enqueue(encode(event, data));
        if (options.last(next.value)) controller.close();
      } catch (err) {
        logger.warn(`${options.label} failed`, { request_id: requestId, ...describeError(err) });
        const error = isAppError(err)
          ? {
              code: err.code,
              message: err.message,
              ...(options.errorDetails && err.details ? { details: err.details } : {}),
            }
          : { code: 'INTERNAL_ERROR', message: 'Internal server error' };
        controller.enqueue(encode('error', error));
        controller.close();
      }
    },
    async cancel() {
      await events.return(undefined);
    },
  });
  return c.body(stream, 200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
};

/** Whether the client asked for Server-Sent Events. */
export const wantsEventStream = (c: AppContext): boolean =>
  (c.req.header('accept') ?? '').includes('text/event-stream');

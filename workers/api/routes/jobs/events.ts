import { notFound } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { getJob, isTerminal, type JobRow, presentJob } from '@flowspark/jobs';
import { z } from '@hono/zod-openapi';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { errorResponses } from '../../lib/schemas';
import { JobIdParams } from './schemas';

/** The stream polls the job row; a client that wants more than 10 minutes reconnects. */
export const SSE_POLL_MS = 750;
export const SSE_KEEPALIVE_MS = 15_000;
export const SSE_MAX_MS = 10 * 60_000;

export const jobEventsRoute = defineRoute(
  { scope: 'jobs:read' },
  {
    method: 'get',
    path: '/jobs/{id}/events',
    operationId: 'streamJobEvents',
    tags: ['Jobs'],
    summary: "Server-Sent Events of one job's status and progress",
    description:
      'Sends the current state at once as `event: job.status`, then `job.status` on every status change and `job.progress` on progress changes, each with an `id:` line and the whole job (the `Job` schema) as `data:`. The stream ends after the job ends (done, error, cancelled), and after 10 minutes (reconnect to go on). `: keep-alive` comments keep idle connections open.',
    request: { params: JobIdParams },
    responses: {
      200: {
        description: 'An event stream',
        content: {
          'text/event-stream': {
            schema: z.string().openapi({
              example: 'event: job.progress\nid: 2\ndata: {"id":"job_…","status":"running","progress":40,…}\n\n',
            }),
          },
        },
      },
      ...errorResponses([404]),
    },
  },
);

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const statusKey = (job: JobRow) => `${job.status}:${job.cancelRequested}`;

/** Pull-driven: each read waits for the next change, so a slow client is never flooded. */
const jobEventStream = (db: Database, orgId: string, first: JobRow, signal: AbortSignal) => {
  const started = Date.now();
  let last = first;
  let sequence = 0;
  let lastSentAt = Date.now();
  let closed = false;
  const frame = (type: 'job.status' | 'job.progress', job: JobRow) => {
    sequence += 1;
    lastSentAt = Date.now();
    return encoder.encode(`event: ${type}\nid: ${sequence}\ndata: ${JSON.stringify(presentJob(job))}\n\n`);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode('retry: 3000\n\n'));
      controller.enqueue(frame('job.status', first));
      if (isTerminal(first.status)) {
        closed = true;
        controller.close();
      }
    },
    async pull(controller) {
      while (!closed) {
        if (signal.aborted) {
          closed = true;
          controller.close();
          return;
        }
        if (Date.now() - started >= SSE_MAX_MS) {
          closed = true;
          controller.enqueue(encoder.encode(': time limit reached; reconnect to continue\n\n'));
          controller.close();
          return;
        }
        await sleep(SSE_POLL_MS);
        if (closed) return;
        const job = await getJob(db, orgId, first.id);
        if (!job) {
          // Deleted with its organization: nothing more will happen.
          closed = true;
          controller.close();
          return;
        }
        const statusChanged = statusKey(job) !== statusKey(last);
        const progressChanged = job.progress !== last.progress;
        last = job;
        if (statusChanged) {
          controller.enqueue(frame('job.status', job));
          if (isTerminal(job.status)) {
            closed = true;
            controller.close();
          }
          return;
        }
        if (progressChanged) {
          controller.enqueue(frame('job.progress', job));
          return;
        }
        if (Date.now() - lastSentAt >= SSE_KEEPALIVE_MS) {
          lastSentAt = Date.now();
          controller.enqueue(encoder.encode(': keep-alive\n\n'));
          return;
        }
      }
    },
    cancel() {
      // The client went away.
      closed = true;
    },
  });
};

export const registerJobEvents = (app: GroupApp) =>
  app.openapi(jobEventsRoute, async (c) => {
    const { db, actor } = routeContext(c);
    const job = await getJob(db, actor.orgId, c.req.valid('param').id);
    if (!job) throw notFound('Job');
    return c.body(jobEventStream(db, actor.orgId, job, c.req.raw.signal), 200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
    });
  });

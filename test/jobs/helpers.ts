import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { createDb } from '@flowspark/db';
import { createJob, JobError, type JobRow, type NewJob } from '@flowspark/jobs';
import { registerJobHandler } from '../../workers/jobs/registry';
import type { JobHandler } from '../../workers/jobs/types';
import worker from '../../workers/jobs-main';

/**
 * A job type driven by its input, registered the way production types are. Every test job uses it,
 * so a job is always runnable by whichever isolate the real queue delivers it to.
 */
export interface ScriptInput {
  /** Progress values to report, in order. */
  progress?: number[];
  /** Throw a retryable JobError on attempts up to this number. */
  fail_attempts?: number;
  /** Throw a retryable error shaped like @flowspark/ai's AiProviderError on attempts up to this number. */
  ai_fail_attempts?: number;
  /** Throw a permanent JobError. */
  permanent?: boolean;
  /** Throw a plain Error whose message must never reach the API. */
  internal?: boolean;
  /** Loop until the job is cancelled, checking isCancelled(). */
  wait_for_cancel?: boolean;
  /** Wait until the test calls release(gate). */
  gate?: string;
}

export const SCRIPT_TYPE = 'test.script';

/** Runs per job id: a job that ran twice produced two outputs. */
export const runs = new Map<string, number>();
/** Jobs whose onFailed hook ran, with the status they ended in. */
export const failures = new Map<string, string>();

const gates = new Map<string, { promise: Promise<void>; release: () => void; entered: boolean }>();
export const gate = (name: string) => {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => {
    release = resolve;
  });
  const entry = { promise, release, entered: false };
  gates.set(name, entry);
  return entry;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const scriptHandler: JobHandler<ScriptInput> = {
  type: SCRIPT_TYPE,
  async run(ctx) {
    const input = ctx.input ?? {};
    runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
    if (input.gate) {
      const entry = gates.get(input.gate);
      if (entry) {
        entry.entered = true;
        await entry.promise;
      }
    }
    for (const percent of input.progress ?? []) await ctx.progress(percent, `step ${percent}`);
    if (input.fail_attempts && ctx.job.attempts <= input.fail_attempts) {
      throw new JobError('FLAKY_UPSTREAM', 'The upstream service is busy', { retryable: true });
    }
    if (input.ai_fail_attempts && ctx.job.attempts <= input.ai_fail_attempts) {
      throw Object.assign(new Error('Provider answered 503'), { name: 'AiProviderError', retryable: true });
    }
    if (input.permanent) throw new JobError('BAD_TEMPLATE', 'The template has no body');
    if (input.internal) throw new Error('db password is hunter2 at /srv/secret.ts:42');
    if (input.wait_for_cancel) {
      for (let i = 0; i < 200 && !(await ctx.isCancelled()); i++) await sleep(25);
      return { stopped: true };
    }
    return { ok: true, attempt: ctx.job.attempts };
  },
  async onFailed(ctx) {
    failures.set(ctx.job.id, ctx.job.status);
  },
};

registerJobHandler(SCRIPT_TYPE, async () => scriptHandler);

export const db = () => createDb(env.DB);

export const newScriptJob = (orgId: string, input: ScriptInput = {}, extra: Partial<NewJob> = {}): Promise<JobRow> =>
  createJob(db(), {
    orgId,
    type: SCRIPT_TYPE,
    resourceType: 'document',
    resourceId: `doc_${crypto.randomUUID().replaceAll('-', '')}`,
    input: input as Record<string, unknown>,
    createdBy: null,
    ...extra,
  });

export const readJob = async (id: string): Promise<Record<string, any>> => {
  const row = await env.DB.prepare('SELECT * FROM jobs WHERE id = ?').bind(id).first();
  if (!row) throw new Error(`job ${id} not found`);
  return row;
};

/** Delivers one message to the consumer as the queue would, and returns what it did with it. */
export const deliver = async (
  body: unknown,
  options: { queue?: string; attempts?: number } = {},
): Promise<{ acked: boolean; retried: boolean; delaySeconds?: number }> => {
  const id = crypto.randomUUID();
  const batch = createMessageBatch(options.queue ?? 'flowspark-jobs', [
    { id, timestamp: new Date(), attempts: options.attempts ?? 1, body },
  ]);
  // getQueueResult does not report retry delays: record them on the way through.
  const message = batch.messages[0]!;
  const retry = message.retry.bind(message);
  let delaySeconds: number | undefined;
  Object.defineProperty(message, 'retry', {
    value: (options?: QueueRetryOptions) => {
      delaySeconds = options?.delaySeconds;
      retry(options);
    },
  });
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<never>, env, ctx);
  const result = await getQueueResult(batch, ctx);
  const retried = result.retryMessages.some((m) => m.msgId === id);
  return { acked: result.explicitAcks.includes(id), retried, delaySeconds };
};

export const messageFor = (job: Pick<JobRow, 'id' | 'orgId'>) => ({ job_id: job.id, org_id: job.orgId });

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export const eventually = async <T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 8000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
};

export interface FeedClient {
  ws: WebSocket;
  response: Response;
  messages: Record<string, any>[];
  /** Job events only (control messages left out). */
  events: () => Record<string, any>[];
  waitFor: (predicate: (messages: Record<string, any>[]) => boolean, timeoutMs?: number) => Promise<void>;
}

/** Opens GET /jobs/feed through the Worker, as a client would. */
export const openFeed = async (
  headers: Record<string, string>,
  query = '',
): Promise<FeedClient & { status: number; body?: any }> => {
  const response = await exports.default.fetch(
    new Request(`http://localhost/api/v1/jobs/feed${query}`, { headers: { Upgrade: 'websocket', ...headers } }),
  );
  const messages: Record<string, any>[] = [];
  const ws = response.webSocket as WebSocket;
  if (response.status !== 101 || !ws) {
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : undefined,
      ws,
      response,
      messages,
      events: () => [],
      waitFor: async () => {},
    };
  }
  ws.accept();
  ws.addEventListener('message', (event) => {
    messages.push(JSON.parse(event.data as string));
  });
  return {
    status: response.status,
    ws,
    response,
    messages,
    events: () => messages.filter((m) => String(m.type).startsWith('job.')),
    waitFor: async (predicate, timeoutMs = 5000) => {
      await eventually(() => (predicate(messages) ? true : undefined), timeoutMs);
    },
  };
};

export { sleep };

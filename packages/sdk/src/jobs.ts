import { type FlowSparkClient, unwrap } from './client';
import { FlowSparkError } from './errors';
import type { components } from './schema';
import { readEventStream } from './sse';

export type Job = components['schemas']['Job'];
export type JobEvent = components['schemas']['JobEvent'];
/** What the feed sends besides events: `ready` once connected, `resumed`, `pong`, `error`. */
export type FeedControl = { type: 'ready' | 'resumed' | 'pong' | 'error' } & Record<string, unknown>;
export type FeedMessage = JobEvent | FeedControl;

/** Whether a feed message is a job's event (rather than a control message). */
export const isJobEvent = (message: FeedMessage): message is JobEvent =>
  message.type === 'job.status' || message.type === 'job.progress';

const ENDED = new Set<string>(['done', 'error', 'cancelled']);
/** Close codes after which the feed is opened again with `?since=` (going away, restarting, try again). */
const RECONNECT = new Set([1001, 1012, 1013]);
const MAX_RECONNECTS = 5;

/** The job feed closed: `4401` credentials revoked, `4403` membership ended, or the socket failed. */
export class FeedClosedError extends Error {
  override readonly name = 'FeedClosedError';
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`The job feed closed (${code}${reason ? ` ${reason}` : ''})`);
  }
}

/** A job that ended without its output: `error` (with the job's `error_code`) or `cancelled`. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  readonly code: string;
  constructor(readonly job: Job) {
    super(job.error_message ?? `Job ${job.id} ended ${job.status}`);
    this.code = job.error_code ?? job.status.toUpperCase();
  }
}

export interface FeedOptions {
  /** Replay the events after this id first (the last `id` you saw). */
  since?: number;
  signal?: AbortSignal;
}

/** A socket's messages and its end, as something to await one at a time. */
const inbox = (socket: WebSocket, signal: AbortSignal | undefined) => {
  const items: ({ message: FeedMessage } | { closed: number; reason: string })[] = [];
  let wake: (() => void) | undefined;
  const push = (item: (typeof items)[number]) => {
    items.push(item);
    wake?.();
  };
  socket.addEventListener('message', (e) => push({ message: JSON.parse(String(e.data)) as FeedMessage }));
  socket.addEventListener('close', (e) => push({ closed: e.code, reason: e.reason }));
  socket.addEventListener('error', () => push({ closed: 1006, reason: 'socket error' }));
  const onAbort = () => push({ closed: 1000, reason: 'aborted' });
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    next: async () => {
      while (items.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return items.shift()!;
    },
    dispose: () => signal?.removeEventListener('abort', onAbort),
  };
};

/**
 * The organization's job feed (GET /jobs/feed) as an async iterator of its messages: every job event
 * and the control messages. It connects with a one-time ticket (POST /jobs/feed/ticket), so it works
 * wherever a WebSocket constructor does (browsers, Deno, Workers, Node 22+); it reconnects with
 * `?since=<last event id>` when the server asks (1013) or restarts, and throws FeedClosedError when the
 * credential was revoked (4401) or the membership ended (4403). Breaking out closes the socket.
 */
export async function* openJobFeed(client: FlowSparkClient, options: FeedOptions = {}): AsyncGenerator<FeedMessage> {
  const WebSocketClass = client.WebSocket;
  if (!WebSocketClass) throw new FeedClosedError(1006, 'this runtime has no WebSocket');
  let since = options.since;
  for (let attempt = 0; attempt <= MAX_RECONNECTS; attempt += 1) {
    const ticket = await unwrap(client.api.POST('/api/v1/jobs/feed/ticket'));
    const url = new URL(ticket.url);
    if (since !== undefined) url.searchParams.set('since', String(since));
    const socket = new WebSocketClass(url.toString(), [ticket.protocol]);
    const messages = inbox(socket, options.signal);
    try {
      for (;;) {
        const item = await messages.next();
        if ('message' in item) {
          if (item.message.type === 'ready') attempt = 0;
          if (isJobEvent(item.message)) since = item.message.id;
          yield item.message;
          continue;
        }
        if (options.signal?.aborted) return;
        if (!RECONNECT.has(item.closed)) throw new FeedClosedError(item.closed, item.reason);
        break;
      }
    } finally {
      messages.dispose();
      if (socket.readyState === 0 || socket.readyState === 1) socket.close(1000);
    }
  }
  throw new FeedClosedError(1013, 'too many reconnections');
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up after this long (default 10 minutes): throws a TimeoutError DOMException. */
  timeoutMs?: number;
  /**
   * How to watch: `auto` (default) opens the job feed where the runtime has a WebSocket and falls back
   * to the job's Server-Sent Events, then to polling, when a transport fails.
   */
  transport?: 'auto' | 'websocket' | 'sse' | 'poll';
  /** Between polls (default 1000 ms). */
  pollIntervalMs?: number;
  /** Every status or progress change seen on the way. */
  onUpdate?: (update: { status: Job['status']; progress: number }) => void;
}

type Watch = (client: FlowSparkClient, jobId: string, options: WaitOptions & { signal: AbortSignal }) => Promise<Job>;

export const getJob = (client: FlowSparkClient, jobId: string, signal?: AbortSignal): Promise<Job> =>
  unwrap(client.api.GET('/api/v1/jobs/{id}', { params: { path: { id: jobId } }, signal }));

const viaFeed: Watch = async (client, jobId, options) => {
  for await (const message of openJobFeed(client, { signal: options.signal })) {
    // Events before the socket opened are not sent: once it is open, the job's row tells where it stands.
    if (message.type === 'ready') {
      const job = await getJob(client, jobId, options.signal);
      if (ENDED.has(job.status)) return job;
    } else if (isJobEvent(message) && message.job_id === jobId) {
      options.onUpdate?.(message);
      if (ENDED.has(message.status)) return getJob(client, jobId, options.signal);
    }
  }
  throw options.signal.reason;
};

const viaEvents: Watch = async (client, jobId, options) => {
  // The stream ends after the job ends, or after 10 minutes: then it is opened again.
  for (;;) {
    const response = await client.fetch(`/api/v1/jobs/${encodeURIComponent(jobId)}/events`, {
      headers: { accept: 'text/event-stream' },
      signal: options.signal,
    });
    if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      throw new FeedClosedError(1006, 'not an event stream');
    }
    for await (const event of readEventStream(response.body)) {
      const job = JSON.parse(event.data) as Job;
      options.onUpdate?.(job);
      if (ENDED.has(job.status)) return job;
    }
  }
};

const viaPolling: Watch = async (client, jobId, options) => {
  let last = '';
  for (;;) {
    const job = await getJob(client, jobId, options.signal);
    if (`${job.status}:${job.progress}` !== last) options.onUpdate?.(job);
    last = `${job.status}:${job.progress}`;
    if (ENDED.has(job.status)) return job;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        options.signal.removeEventListener('abort', stop);
        resolve();
      }, options.pollIntervalMs ?? 1000);
      const stop = () => {
        clearTimeout(timer);
        reject(options.signal.reason);
      };
      options.signal.addEventListener('abort', stop, { once: true });
    });
  }
};

const TRANSPORTS: Record<Exclude<WaitOptions['transport'], undefined>, Watch[]> = {
  auto: [viaFeed, viaEvents, viaPolling],
  websocket: [viaFeed],
  sse: [viaEvents],
  poll: [viaPolling],
};

/**
 * Waits until the job ends and answers it when it is `done`; throws JobFailedError when it ended in
 * `error` or was cancelled, FlowSparkError when the API refused (an unknown job is 404 NOT_FOUND).
 */
export const waitForJob = async (client: FlowSparkClient, jobId: string, options: WaitOptions = {}): Promise<Job> => {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10 * 60_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const transports = TRANSPORTS[options.transport ?? 'auto'].filter(
    (watch) => watch !== viaFeed || client.WebSocket !== undefined,
  );
  let failure: unknown = new FeedClosedError(1006, 'this runtime has no WebSocket');
  for (const watch of transports) {
    try {
      const job = await watch(client, jobId, { ...options, signal });
      if (job.status !== 'done') throw new JobFailedError(job);
      return job;
    } catch (err) {
      // The API's answers and the job's own end are final; a transport that failed gives way to the next.
      if (err instanceof FlowSparkError || err instanceof JobFailedError || signal.aborted) throw err;
      failure = err;
    }
  }
  throw failure;
};

/** A job's output file as the API sends it. */
export interface JobOutput {
  response: Response;
  contentType: string;
  /** From `Content-Disposition`, when the API names the file. */
  filename: string | undefined;
  bytes(): Promise<Uint8Array>;
}

/** Where the output of a job of this resource type is downloaded. */
const outputPath = (job: Job): string => {
  const id = encodeURIComponent(job.resource_id ?? '');
  switch (job.resource_type) {
    case 'document':
      return `/api/v1/documents/${id}/download`;
    case 'presentation':
      return `/api/v1/presentations/${id}/download`;
    case 'image':
      return `/api/v1/images/${id}/download`;
    case 'book':
      return `/api/v1/downloads/${encodeURIComponent(String(job.result?.file_id ?? ''))}`;
    default:
      throw new TypeError(`Jobs of type ${job.type} have no file to download`);
  }
};

const filenameOf = (disposition: string | null): string | undefined => {
  if (!disposition) return undefined;
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (encoded) return decodeURIComponent(encoded[1]!);
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1];
};

/** Downloads what a finished job produced: a document, presentation, image or booklet. */
export const downloadJobOutput = async (
  client: FlowSparkClient,
  job: Job,
  options: { signal?: AbortSignal } = {},
): Promise<JobOutput> => {
  if (job.status !== 'done') throw new JobFailedError(job);
  const response = await client.fetch(outputPath(job), { signal: options.signal });
  return {
    response,
    contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    filename: filenameOf(response.headers.get('content-disposition')),
    bytes: async () => new Uint8Array(await response.arrayBuffer()),
  };
};

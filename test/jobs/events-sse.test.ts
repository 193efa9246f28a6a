import { exports } from 'cloudflare:workers';
import { claimJob, completeJob, failJob, setProgress } from '@flowspark/jobs';
import { describe, expect, it } from 'vitest';
import { call, createTenant, expectOk } from '../helpers/harness';
import { db, newScriptJob } from './helpers';

interface Frame {
  event?: string;
  id?: string;
  data?: any;
  comment?: string;
}

/** Reads a text/event-stream response frame by frame. */
const sseReader = (res: Response) => {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const next = async (): Promise<Frame | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const frame: Frame = {};
        for (const line of raw.split('\n')) {
          if (line.startsWith(':')) frame.comment = line.slice(1).trim();
          else if (line.startsWith('event: ')) frame.event = line.slice(7);
          else if (line.startsWith('id: ')) frame.id = line.slice(4);
          else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
        }
        if (frame.event) return frame;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
    }
  };
  return { next, cancel: () => reader.cancel() };
};

const open = (path: string, token: string) =>
  exports.default.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}` } }));

describe('GET /jobs/{id}/events (SSE)', () => {
  it('sends the current state, then each change, and ends when the job ends', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    const res = await open(`/api/v1/jobs/${job.id}/events`, tenant.accessToken);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const stream = sseReader(res);

    const first = await stream.next();
    expect(first).toMatchObject({ event: 'job.status', id: '1', data: { id: job.id, status: 'queued', progress: 0 } });

    const running = await claimJob(db(), job.id);
    expect((await stream.next())?.data).toMatchObject({ status: 'running', attempts: 1 });

    await setProgress(db(), job.id, 40, { attempt: running!.attempts });
    expect(await stream.next()).toMatchObject({
      event: 'job.progress',
      id: '3',
      data: { status: 'running', progress: 40 },
    });

    await completeJob(db(), job.id, { file: 'x.pdf' }, { attempt: running!.attempts });
    expect(await stream.next()).toMatchObject({
      event: 'job.status',
      id: '4',
      data: { status: 'done', progress: 100, result: { file: 'x.pdf' } },
    });
    expect(await stream.next()).toBeNull();
  });

  it('a finished job gets its final state and the stream ends at once', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    await failJob(db(), job.id, 'BAD_TEMPLATE', 'The template has no body');
    const stream = sseReader(await open(`/api/v1/jobs/${job.id}/events`, tenant.apiKey));
    expect((await stream.next())?.data).toMatchObject({ status: 'error', error_code: 'BAD_TEMPLATE' });
    expect(await stream.next()).toBeNull();
  });

  it('a client may disconnect mid-stream', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    const stream = sseReader(await open(`/api/v1/jobs/${job.id}/events`, tenant.accessToken));
    expect((await stream.next())?.event).toBe('job.status');
    await stream.cancel();
    // The job can still be read and changed normally afterwards.
    await claimJob(db(), job.id);
    expect(expectOk(await tenant.as('GET', `/api/v1/jobs/${job.id}`)).body.data.status).toBe('running');
  });

  it('404 for another tenant’s job, 401 without auth, 400 for a bad id', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const job = await newScriptJob(other.orgId);
    const res = await call('GET', `/api/v1/jobs/${job.id}/events`, { token: tenant.accessToken });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await call('GET', `/api/v1/jobs/${job.id}/events`)).status).toBe(401);
    expect((await call('GET', '/api/v1/jobs/nope/events', { token: tenant.accessToken })).status).toBe(400);
  });
});

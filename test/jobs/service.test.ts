import { AppError } from '@flowspark/core';
import {
  BACKOFF_MAX_SECONDS,
  backoffSeconds,
  buildJob,
  cancelJob,
  claimJob,
  completeJob,
  createJob,
  describeJobFailure,
  enqueueJob,
  failJob,
  getJob,
  isRetryableJobFailure,
  JobError,
  type JobMessage,
  MAX_JOB_ATTEMPTS,
  presentJob,
  requeueJob,
  setProgress,
} from '@flowspark/jobs';
import { describe, expect, it } from 'vitest';
import { createTenant, env } from '../helpers/harness';
import { db, newScriptJob, readJob } from './helpers';

describe('job service', () => {
  it('creates a queued job and enqueues a message with ids only', async () => {
    const tenant = await createTenant();
    const job = await createJob(db(), {
      orgId: tenant.orgId,
      type: 'document.generate',
      resourceType: 'document',
      resourceId: 'doc_1',
      input: { document_id: 'doc_1' },
      createdBy: tenant.userId,
    });
    expect(job).toMatchObject({ status: 'queued', progress: 0, attempts: 0, maxAttempts: 5, cancelRequested: false });
    expect(job.id).toMatch(/^job_[0-9a-f]{32}$/);
    expect(await getJob(db(), tenant.orgId, job.id)).toEqual(job);
    const other = await createTenant();
    expect(await getJob(db(), other.orgId, job.id)).toBeNull();
    const sent: JobMessage[] = [];
    await enqueueJob({ send: async (body) => void sent.push(body) }, job);
    expect(sent).toEqual([{ job_id: job.id, org_id: tenant.orgId }]);
    expect(buildJob({ orgId: 'o', type: 't', maxAttempts: 50 }).maxAttempts).toBe(MAX_JOB_ATTEMPTS);
    expect(buildJob({ orgId: 'o', type: 't', maxAttempts: 0 }).maxAttempts).toBe(1);
    expect(presentJob(job)).not.toHaveProperty('input');
  });

  it('claims atomically: one claim wins, a terminal job is never claimed', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    const claims = await Promise.all([claimJob(db(), job.id), claimJob(db(), job.id), claimJob(db(), job.id)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const won = claims.find(Boolean)!;
    expect(won).toMatchObject({ status: 'running', attempts: 1 });
    expect(Date.parse(won.leaseUntil!)).toBeGreaterThan(Date.now() + 200_000);
    await completeJob(db(), job.id, {}, { attempt: 1 });
    expect(await claimJob(db(), job.id)).toBeNull();
  });

  it('fences a delivery that lost its lease: its writes match nothing', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    const stale = await claimJob(db(), job.id);
    await env.DB.prepare('UPDATE jobs SET lease_until = ? WHERE id = ?').bind('2000-01-01T00:00:00.000Z', job.id).run();
    const current = await claimJob(db(), job.id);
    expect(current?.attempts).toBe(2);
    const fence = { attempt: stale!.attempts };
    expect(await setProgress(db(), job.id, 50, fence)).toBeNull();
    expect(await completeJob(db(), job.id, { stale: true }, fence)).toBeNull();
    expect(await failJob(db(), job.id, 'X', 'x', fence)).toBeNull();
    expect(await requeueJob(db(), job.id, 'X', 'x', fence)).toBeNull();
    expect(await completeJob(db(), job.id, { fresh: true }, { attempt: 2 })).toMatchObject({ status: 'done' });
    expect(JSON.parse((await readJob(job.id)).result)).toEqual({ fresh: true });
  });

  it('progress only moves forward, only while running, and renews the lease', async () => {
    const tenant = await createTenant();
    const job = await newScriptJob(tenant.orgId);
    expect(await setProgress(db(), job.id, 10)).toBeNull();
    await claimJob(db(), job.id, { leaseSeconds: 10 });
    expect((await setProgress(db(), job.id, 40))?.progress).toBe(40);
    expect((await setProgress(db(), job.id, 20))?.progress).toBe(40);
    const row = await setProgress(db(), job.id, 250);
    expect(row?.progress).toBe(100);
    expect(Date.parse(row!.leaseUntil!)).toBeGreaterThan(Date.now() + 200_000);
    expect((await setProgress(db(), job.id, Number.NaN))?.progress).toBe(100);
  });

  it('cancel: queued → cancelled, running → cancel requested, finished → 409, foreign → 404', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const queued = await newScriptJob(tenant.orgId);
    expect(await cancelJob(db(), tenant.orgId, queued.id)).toMatchObject({
      outcome: 'cancelled',
      job: { status: 'cancelled', cancelRequested: true },
    });
    const running = await newScriptJob(tenant.orgId);
    await claimJob(db(), running.id);
    expect(await cancelJob(db(), tenant.orgId, running.id)).toMatchObject({
      outcome: 'cancel_requested',
      job: { status: 'running', cancelRequested: true },
    });
    // A cancelled job cannot complete: cancellation wins.
    expect(await completeJob(db(), running.id, {})).toBeNull();
    await expect(cancelJob(db(), tenant.orgId, queued.id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(cancelJob(db(), other.orgId, running.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('backoff: exponential from 5 s, capped at 5 minutes, with jitter in the upper half', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, () => 1))).toEqual([10, 20, 40, 80, 160]);
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, () => 0))).toEqual([5, 10, 20, 40, 80]);
    expect(backoffSeconds(12, () => 1)).toBe(BACKOFF_MAX_SECONDS);
    for (let i = 0; i < 50; i++) {
      const delay = backoffSeconds(3);
      expect(delay).toBeGreaterThanOrEqual(20);
      expect(delay).toBeLessThanOrEqual(40);
    }
  });

  it('classifies failures: retryable or not, with a safe code and message', () => {
    expect(isRetryableJobFailure(new JobError('X', 'x', { retryable: true }))).toBe(true);
    expect(isRetryableJobFailure(new JobError('X', 'x'))).toBe(false);
    const provider = (retryable: boolean) => Object.assign(new Error('503'), { name: 'AiProviderError', retryable });
    expect(isRetryableJobFailure(provider(true))).toBe(true);
    expect(isRetryableJobFailure(provider(false))).toBe(false);
    expect(isRetryableJobFailure(new Error('boom'))).toBe(false);
    expect(describeJobFailure(new JobError('RENDER_FAILED', 'Could not render'))).toEqual({
      code: 'RENDER_FAILED',
      message: 'Could not render',
    });
    expect(
      describeJobFailure(new AppError('UNPROCESSABLE', 'Invalid output', { details: { reason: 'AI_INVALID_OUTPUT' } })),
    ).toEqual({ code: 'AI_INVALID_OUTPUT', message: 'Invalid output' });
    expect(describeJobFailure(new AppError('PAYLOAD_TOO_LARGE', 'Too many rows'))).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: 'Too many rows',
    });
    expect(describeJobFailure(new TypeError('x is undefined at line 3'))).toEqual({
      code: 'INTERNAL_ERROR',
      message: 'The job failed because of an internal error',
    });
  });
});

import {
  createKbDocument,
  KB_ACCEPTED_TYPES,
  type KbCreateOutcome,
  type KbPorts,
  type KbSearchOptions,
  kbMaxUploadBytes,
  type NewKbDocument,
  presentKbDocument,
} from '@flowspark/content';
import { AppError, describeError, logger } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { enqueueJob } from '@flowspark/jobs';
import { aiProvider } from '../../../lib/ai';
import { vectorIndex } from '../../../lib/vectors';
import type { AppContext } from '../../lib/context';

/** Knowledge-base vars read here only (not part of the core config). */
type KbVars = { KB_MAX_UPLOAD_BYTES?: string; KB_MIN_VECTOR_SCORE?: string };
const kbVars = (c: AppContext) => c.env as unknown as KbVars;

export const maxUploadBytes = (c: AppContext) => kbMaxUploadBytes(kbVars(c));

/**
 * Search options from the vars: KB_MIN_VECTOR_SCORE (0..1) replaces the embedding model's default
 * relevance floor of vector similarity.
 */
export const searchOptions = (c: AppContext): KbSearchOptions => {
  const raw = kbVars(c).KB_MIN_VECTOR_SCORE;
  const value = raw ? Number(raw) : Number.NaN;
  return Number.isFinite(value) && value >= 0 && value <= 1 ? { minVectorScore: value } : {};
};

export const kbPortsOf = (c: AppContext): KbPorts => ({
  db: createDb(c.env.DB),
  files: c.env.FILES,
  ai: aiProvider(c.env),
  vectors: vectorIndex(c.env),
});

export const tooLarge = (bytes: number, max: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `The document must be at most ${formatBytes(max)}`, {
    details: { max_bytes: max, bytes },
  });

const formatBytes = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / 1024 / 1024} MB` : `${bytes.toLocaleString('en-US')} bytes`;

export const unsupportedType = () =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', `Unsupported file type: the knowledge base accepts ${KB_ACCEPTED_TYPES}`, {
    details: { accepted: ['pdf', 'docx', 'html', 'markdown', 'text', 'csv'] },
  });

/**
 * Stores the document (or finds the same content) and enqueues its job. 202 with the new document and
 * its job, or 200 with the existing one and `duplicate: true`.
 */
export const acceptDocument = async (c: AppContext, input: NewKbDocument) => {
  const { orgId, userId } = c.get('auth');
  const outcome: KbCreateOutcome = await createKbDocument(createDb(c.env.DB), c.env.FILES, { orgId, userId }, input);
  if (outcome.duplicate) {
    return {
      status: 200 as const,
      body: { document: presentKbDocument(outcome.document), job_id: outcome.document.jobId, duplicate: true },
    };
  }
  try {
    await enqueueJob(c.env.JOBS, outcome.job);
  } catch (err) {
    // The job stays queued and the scheduled recovery sends it again: the request still succeeded.
    logger.warn('kb job not enqueued', {
      request_id: c.get('requestId'),
      job_id: outcome.job.id,
      ...describeError(err),
    });
  }
  return {
    status: 202 as const,
    body: { document: presentKbDocument(outcome.document), job_id: outcome.job.id, duplicate: false },
  };
};

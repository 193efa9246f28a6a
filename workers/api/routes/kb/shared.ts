import { AppError, payloadTooLarge } from '@flowspark/core';
import {
  createKbDocument,
  KB_ACCEPTED_TYPES,
  type KbPorts,
  type KbSearchOptions,
  kbMaxUploadBytes,
  type NewKbDocument,
} from '@flowspark/kb';
import { kbPorts } from '../../../lib/kb-ports';
import { type AppContext, routeContext } from '../../lib/context';
import { enqueueOrRecover } from '../../lib/jobs';
import { presentKbDocument } from './present';

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

/** The knowledge base's ports for a request, on the request's database. */
export const kbPortsOf = (c: AppContext): KbPorts => {
  const { env, db } = routeContext(c);
  return { ...kbPorts(env), db };
};

export const tooLarge = (bytes: number, max: number) =>
  payloadTooLarge(`The document must be at most ${formatBytes(max)}`, { limit: max, actual: bytes });

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
  const ctx = routeContext(c);
  const outcome = await createKbDocument(ctx.db, ctx.env.FILES, ctx.actor, input);
  if (outcome.duplicate) {
    return {
      status: 200 as const,
      body: { document: presentKbDocument(outcome.document), job_id: outcome.document.jobId, duplicate: true },
    };
  }
  await enqueueOrRecover(ctx, outcome.job, 'kb job not enqueued');
  return {
    status: 202 as const,
    body: { document: presentKbDocument(outcome.document), job_id: outcome.job.id, duplicate: false },
  };
};

/**
 * The validate step's rules: what counts as a capability having done its work, and what the run's
 * result then is.
 *
 * - document: its job is `done` and the document `completed` with a rendered file (a version ≥ 1);
 * - image: its job is `done` and the image `completed` with its file;
 * - knowledge base: the answer is not empty, and cites a source whenever sources were found. Finding
 *   no relevant source is not a failure: the answer says so (`sources_found` false, no citations),
 *   as `POST /kb/query` does, and asking again would search the same documents for the same question.
 *
 * A job that failed fails the attempt with the job's own code; one that was cancelled, or whose
 * document or image was deleted meanwhile, ends the run (someone stopped it on purpose).
 */
import type { DocumentRow, ImageRow } from '@flowspark/documents';
import type { JobRow } from '@flowspark/jobs';
import type { KbAnswer, KbCitation } from '@flowspark/kb';
import { type Failure, failure } from './failures';
import type { AgentDocumentFormat } from './intent';

export interface AgentDocumentResult {
  document_id: string;
  job_id: string;
  title: string;
  format: AgentDocumentFormat;
  download_url: string;
}

export interface AgentImageResult {
  image_ids: string[];
  job_id: string;
  download_urls: string[];
}

export interface AgentKbResult {
  answer: string;
  citations: KbCitation[];
  query_id: string;
  model: string | null;
  /** False when nothing relevant was found: the answer says so and no model was asked. */
  sources_found: boolean;
}

export type AgentRunResult = AgentDocumentResult | AgentImageResult | AgentKbResult;

/** The outcome of one validate step; `tokens_used` is what the attempt cost, whether it passed or not. */
export type Checked =
  | { ok: true; result: AgentRunResult; tokens_used: number }
  | { ok: false; failure: Failure; tokens_used: number };

/** A knowledge-base answer as the kb_agent step keeps it until it is validated. */
export interface AgentKbAnswer extends AgentKbResult {
  tokens_used: number;
}

export const kbAnswerOf = (answer: KbAnswer, sourcesFound: boolean): AgentKbAnswer => ({
  answer: answer.answer,
  citations: answer.citations,
  query_id: answer.query_id,
  model: answer.model,
  sources_found: sourcesFound,
  tokens_used: answer.usage.total_tokens,
});

/** What a job that ended was charged: its result's `tokens_used` when done, nothing otherwise (released). */
export const jobTokens = (job: Pick<JobRow, 'status' | 'result'> | null): number => {
  if (job?.status !== 'done') return 0;
  const used = (job.result as { tokens_used?: unknown } | null)?.tokens_used;
  return typeof used === 'number' && used > 0 ? used : 0;
};

/** The failure of a job that did not end `done` (null when it did). */
const jobFailure = (job: JobRow | null, what: string): Failure | null => {
  if (!job) return failure('JOB_UNAVAILABLE', `The ${what} job no longer exists`);
  if (job.status === 'done') return null;
  if (job.status === 'cancelled') return failure('JOB_CANCELLED', `The ${what} job was cancelled`);
  if (job.status === 'error') {
    return failure(job.errorCode ?? 'JOB_FAILED', job.errorMessage ?? `The ${what} job failed`);
  }
  return failure('JOB_TIMEOUT', `The ${what} job did not finish in time`);
};

export const checkDocument = (job: JobRow | null, doc: DocumentRow | null): Checked => {
  const tokens = jobTokens(job);
  const failed = jobFailure(job, 'document');
  if (failed) return { ok: false, failure: failed, tokens_used: tokens };
  if (!doc)
    return { ok: false, failure: failure('DOCUMENT_UNAVAILABLE', 'The document was deleted'), tokens_used: tokens };
  if (doc.status !== 'completed' || !doc.fileKey || doc.currentVersion < 1) {
    return {
      ok: false,
      failure: failure('DOCUMENT_NOT_READY', `The document is ${doc.status} and has no file to download`),
      tokens_used: tokens,
    };
  }
  return {
    ok: true,
    result: {
      document_id: doc.id,
      job_id: job!.id,
      title: doc.title,
      // The agent makes documents only (never pptx decks).
      format: doc.format as AgentDocumentFormat,
      download_url: `/api/v1/documents/${doc.id}/download`,
    },
    tokens_used: tokens,
  };
};

export const checkImage = (job: JobRow | null, image: ImageRow | null): Checked => {
  const tokens = jobTokens(job);
  const failed = jobFailure(job, 'image');
  if (failed) return { ok: false, failure: failed, tokens_used: tokens };
  if (!image) return { ok: false, failure: failure('IMAGE_UNAVAILABLE', 'The image was deleted'), tokens_used: tokens };
  if (image.status !== 'completed' || !image.fileKey) {
    return {
      ok: false,
      failure: failure('IMAGE_NOT_READY', `The image is ${image.status} and has no file to download`),
      tokens_used: tokens,
    };
  }
  return {
    ok: true,
    result: { image_ids: [image.id], job_id: job!.id, download_urls: [`/api/v1/images/${image.id}/download`] },
    tokens_used: tokens,
  };
};

export const checkKbAnswer = (answer: AgentKbAnswer): Checked => {
  const { tokens_used, ...result } = answer;
  if (!result.answer.trim()) {
    return { ok: false, failure: failure('EMPTY_ANSWER', 'The answer was empty'), tokens_used };
  }
  if (result.sources_found && result.citations.length === 0) {
    return { ok: false, failure: failure('NO_CITATIONS', 'The answer cites none of the sources found'), tokens_used };
  }
  return { ok: true, result, tokens_used };
};

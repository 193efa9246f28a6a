import { contentDisposition, type DocumentRow, findDownload } from '@flowspark/content';
import { describeError, logger, notFound } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { CONTENT_TYPES } from '@flowspark/docgen';
import { enqueueJob, type JobRow } from '@flowspark/jobs';
import { z } from '@hono/zod-openapi';
import { announceJobEnd } from '../../../jobs/ended';
import { publishJobEvent } from '../../../lib/job-events';
import type { AppContext } from '../../lib/context';

/** Sends the job's message; if that fails, the scheduled recovery sends it later, so the request still succeeded. */
export const enqueueGeneration = async (c: AppContext, job: JobRow) => {
  try {
    await enqueueJob(c.env.JOBS, job);
  } catch (err) {
    logger.warn('generation job not enqueued', {
      request_id: c.get('requestId'),
      job_id: job.id,
      ...describeError(err),
    });
  }
};

/** A job cancelled by deleting its document: announced like POST /jobs/{id}/cancel does. */
export const announceCancellation = async (
  c: AppContext,
  cancelled: { job: JobRow; outcome: 'cancelled' | 'cancel_requested' } | null,
) => {
  if (!cancelled) return;
  if (cancelled.outcome === 'cancelled') await announceJobEnd(c.env, cancelled.job, c.get('requestId'));
  else await publishJobEvent(c.env, cancelled.job.orgId, cancelled.job, 'job.status', 'Cancellation requested');
};

export const binary = z.string().openapi({ type: 'string', format: 'binary' });

/** The first entity tag of If-None-Match, bare (R2 compares etags without quotes or the weak prefix). */
const ifNoneMatch = (header: string | undefined): string | undefined => {
  const first = header?.split(',')[0]?.trim().replace(/^W\//, '').replace(/"/g, '');
  return first && first !== '*' ? first : undefined;
};

/** The title as a file name: path separators and characters file systems refuse become `_`. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const UNSAFE_NAME = /[\\/:*?"<>|\u0000-\u001f\u007f]+/g;
export const downloadName = (doc: Pick<DocumentRow, 'title' | 'format'>) =>
  `${doc.title.replace(UNSAFE_NAME, '_').trim() || 'document'}.${doc.format}`;

/**
 * Streams a version's file from R2: Content-Type of the format, Content-Disposition with the title,
 * Content-Length and ETag (If-None-Match → 304). A version's file never changes under its key.
 */
export const sendDownload = async (c: AppContext, doc: DocumentRow, version: number | undefined) => {
  const found = await findDownload(createDb(c.env.DB), doc, version);
  const etag = ifNoneMatch(c.req.header('if-none-match'));
  const object = await c.env.FILES.get(found.key, etag ? { onlyIf: { etagDoesNotMatch: etag } } : undefined);
  if (!object) throw notFound('File');
  const headers: Record<string, string> = {
    ETag: object.httpEtag,
    'Cache-Control': 'private, no-cache',
    'X-Document-Version': String(found.version),
  };
  if (!('body' in object)) return c.body(null, 304, headers);
  return c.body(object.body, 200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[doc.format],
    'Content-Length': String(object.size),
    'Content-Disposition': contentDisposition(downloadName(doc)),
    'X-Content-Type-Options': 'nosniff',
  });
};

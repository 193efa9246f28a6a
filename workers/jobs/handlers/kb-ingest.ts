import {
  discardKbIndex,
  failKbDocument,
  getKbDocument,
  ingestKbDocument,
  KB_INGEST_JOB_TYPE,
  KB_MAX_CHUNK_SIZE,
  KB_MIN_CHUNK_SIZE,
  type KbPorts,
} from '@flowspark/content';
import { describeError, isAppError, logger } from '@flowspark/core';
import { createDb } from '@flowspark/db';
import { JobError } from '@flowspark/jobs';
import { z } from 'zod';
import type { Env } from '../../env';
import { aiProvider } from '../../lib/ai';
import { vectorIndex } from '../../lib/vectors';
import type { JobHandler } from '../types';

const KbIngestInput = z.object({
  document_id: z.string().min(1).max(64),
  reindex: z.boolean().optional(),
  chunk_size: z.number().int().min(KB_MIN_CHUNK_SIZE).max(KB_MAX_CHUNK_SIZE).optional(),
  chunk_overlap: z.number().int().min(0).optional(),
});
type KbIngestInput = z.infer<typeof KbIngestInput>;

export const kbPorts = (env: Env): KbPorts => ({
  db: createDb(env.DB),
  files: env.FILES,
  ai: aiProvider(env),
  vectors: vectorIndex(env),
});

/**
 * `kb.ingest`: indexes one knowledge-base document (the job of an upload, a text or a re-index); the
 * pipeline is `ingestKbDocument` in @flowspark/content. A file that cannot be read (encrypted,
 * corrupt, empty, image-only, too large) fails the job at once with the reason as its code and the
 * document says why; transient AI provider errors are retried by the runner.
 */
export const kbIngestHandler: JobHandler<KbIngestInput> = {
  type: KB_INGEST_JOB_TYPE,
  input: KbIngestInput,

  async run(ctx) {
    const { document_id, chunk_size, chunk_overlap } = ctx.input;
    if (ctx.job.resourceId && ctx.job.resourceId !== document_id) {
      throw new JobError('INVALID_JOB_INPUT', 'The job input names another document than the job');
    }
    const ports = kbPorts(ctx.env);
    try {
      const result = await ingestKbDocument(ports, ctx.orgId, document_id, ctx.job.id, {
        chunking: { chunk_size, chunk_overlap },
        progress: (percent, message) => ctx.progress(percent, message),
        checkpoint: () => ctx.throwIfCancelled(),
      });
      return { ...result };
    } catch (err) {
      // The file itself is the problem: say so on the document now (the runner fails the job with the
      // same reason as its code; onFailed would too, but this keeps the message precise).
      if (isAppError(err) && (err.code === 'UNPROCESSABLE' || err.code === 'PAYLOAD_TOO_LARGE')) {
        const reason = typeof err.details?.reason === 'string' ? err.details.reason : err.code;
        await failKbDocument(ports.db, ctx.orgId, document_id, ctx.job.id, reason, err.message);
      }
      throw err;
    }
  },

  /** The job ended in error or was cancelled: the document says why and keeps no partial index. */
  async onFailed(ctx) {
    const input = KbIngestInput.safeParse(ctx.job.input ?? {});
    const id = input.success ? input.data.document_id : ctx.job.resourceId;
    if (!id) return;
    const db = createDb(ctx.env.DB);
    const document = await getKbDocument(db, ctx.orgId, id);
    // Only the document's current job speaks for it (a newer re-index owns it otherwise).
    if (!document || document.jobId !== ctx.job.id) return;
    const cancelled = ctx.job.status === 'cancelled';
    const existing = document.status === 'failed' ? document : null;
    await failKbDocument(
      db,
      ctx.orgId,
      id,
      ctx.job.id,
      cancelled ? 'CANCELLED' : (existing?.errorCode ?? ctx.job.errorCode ?? 'INTERNAL_ERROR'),
      cancelled
        ? 'The indexing was cancelled'
        : (existing?.errorMessage ?? ctx.job.errorMessage ?? 'The document could not be indexed'),
    );
    try {
      await discardKbIndex(kbPorts(ctx.env), ctx.orgId, id);
    } catch (err) {
      logger.warn('kb index cleanup failed', { request_id: ctx.requestId, document_id: id, ...describeError(err) });
    }
  },
};

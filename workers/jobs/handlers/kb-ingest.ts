import { isAppError } from '@flowspark/core';
import { JobError } from '@flowspark/jobs';
import {
  failKbDocument,
  failKbIngestion,
  ingestKbDocument,
  KB_INGEST_JOB_TYPE,
  type KbIngestInput,
  KbIngestInputSchema,
} from '@flowspark/kb';
import { kbPorts } from '../../lib/kb-ports';
import type { JobHandler } from '../types';

/**
 * `kb.ingest`: indexes one knowledge-base document (the job of an upload, a text or a re-index); the
 * pipeline is `ingestKbDocument` in @flowspark/kb. A file that cannot be read (encrypted,
 * corrupt, empty, image-only, too large) fails the job at once with the reason as its code and the
 * document says why; transient AI provider errors are retried by the runner.
 */
export const kbIngestHandler: JobHandler<KbIngestInput> = {
  type: KB_INGEST_JOB_TYPE,
  input: KbIngestInputSchema,

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
  onFailed: (ctx) => failKbIngestion(kbPorts(ctx.env), ctx.job, ctx.requestId),
};

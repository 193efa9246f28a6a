import { createDb } from '@flowspark/db';
import { JobError } from '@flowspark/jobs';
import {
  completeSummary,
  failSummaryOfJob,
  loadSummaryWork,
  markSummaryProcessing,
  SUMMARY_JOB_TYPE,
} from '@flowspark/summaries';
import { MAX_SUMMARY_CHARS, summarizeChunks } from '@flowspark/summaries/summarize';
import { z } from 'zod';
import { aiProvider } from '../../lib/ai';
import { billedProvider } from '../../lib/wallet';
import type { JobHandler } from '../types';

const InputSchema = z.object({ summary_id: z.string().regex(/^smy_[0-9a-f]{32}$/) });

/**
 * `summary.generate`: summarises a knowledge-base document, in one call or map-reduce over its
 * chunks (packages/summaries), each call paid from the organization's wallet. Progress is reported
 * per call; the summary keeps its citations and the pages they come from.
 */
export const summaryGenerateHandler: JobHandler<z.infer<typeof InputSchema>> = {
  type: SUMMARY_JOB_TYPE,
  input: InputSchema,

  async run(ctx) {
    const db = createDb(ctx.env.DB);
    const id = ctx.input.summary_id;
    const work = await loadSummaryWork(db, ctx.orgId, id);
    if (!work) throw new JobError('SUMMARY_GONE', 'The summary or its document was deleted');
    if (work.chunks.length === 0) throw new JobError('DOCUMENT_EMPTY', 'The document has no text to summarise');
    const chars = work.chunks.reduce((sum, c) => sum + c.text.length, 0);
    if (chars > MAX_SUMMARY_CHARS) {
      throw new JobError(
        'DOCUMENT_TOO_LARGE',
        `The document has ${chars.toLocaleString('en-US')} characters; at most ${MAX_SUMMARY_CHARS.toLocaleString('en-US')} are summarised`,
      );
    }
    await markSummaryProcessing(db, ctx.orgId, id);
    const ai = billedProvider(ctx.env, aiProvider(ctx.env), {
      orgId: ctx.orgId,
      feature: 'summary.generate',
      userId: ctx.job.createdBy,
      jobId: ctx.job.id,
      resourceId: id,
    });
    const result = await summarizeChunks(
      ai,
      work.chunks,
      {
        length: work.summary.length,
        focus: work.summary.focus,
        instructions: work.instructions,
        title: work.title,
      },
      (done, planned) => ctx.progress((100 * done) / (planned + 1), `Summarised ${done} of ${planned} parts`),
    );
    if (!result.text) throw new JobError('SUMMARY_EMPTY', 'The model returned an empty summary', { retryable: true });
    await ctx.throwIfCancelled();
    await completeSummary(db, ctx.orgId, id, result);
    return {
      summary_id: id,
      passes: result.passes,
      citations: result.citations.length,
      tokens_used: result.usage.total_tokens,
      model_used: result.model,
    };
  },

  /** The job failed or was cancelled: the summary says why. */
  onFailed: (ctx) => failSummaryOfJob(createDb(ctx.env.DB), ctx.job),
};

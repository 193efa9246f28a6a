import type { ImageRow } from '@flowspark/documents';

/** The columns a generated resource (document, presentation, image) shares with the job that made it. */
export type GeneratedRow = Pick<
  ImageRow,
  'modelUsed' | 'generationTimeMs' | 'errorCode' | 'errorMessage' | 'jobId' | 'createdAt' | 'updatedAt'
>;

/** Those columns as the API shows them. */
export const generatedFields = (row: GeneratedRow) => ({
  model_used: row.modelUsed,
  generation_time_ms: row.generationTimeMs,
  error_code: row.errorCode,
  error_message: row.errorMessage,
  job_id: row.jobId,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

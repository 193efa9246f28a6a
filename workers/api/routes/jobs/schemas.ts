import { JOB_STATUSES } from '@flowspark/jobs';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const JOB_ID_EXAMPLE = 'job_7d3f9a1c5b2e4d6f8a0b1c2d3e4f5a6b';

export const JobIdParams = z.object({ id: idParam('id', JOB_ID_EXAMPLE) });

const JobStatusSchema = z.enum(JOB_STATUSES).openapi('JobStatus');

export const JobSchema = z
  .object({
    id: z.string().openapi({ example: JOB_ID_EXAMPLE }),
    type: z.string().openapi({ example: 'document.generate' }),
    status: JobStatusSchema,
    progress: z.number().int().min(0).max(100),
    attempts: z.number().int().openapi({ description: 'Deliveries that ran the job so far' }),
    max_attempts: z.number().int(),
    resource_type: z.string().nullable().openapi({ example: 'document' }),
    resource_id: z.string().nullable().openapi({ example: 'doc_1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d' }),
    result: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'Set when done' }),
    error_code: z
      .string()
      .nullable()
      .openapi({ description: 'Why it failed (or, while queued again, why it is being retried)' }),
    error_message: z.string().nullable(),
    cancel_requested: z.boolean(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    started_at: TimestampSchema.nullable(),
    finished_at: TimestampSchema.nullable(),
  })
  .openapi('Job');

export const JobEventSchema = z
  .object({
    id: z.number().int().openapi({ description: 'Increases by one per event within the organization' }),
    job_id: z.string(),
    type: z.enum(['job.status', 'job.progress']),
    status: JobStatusSchema,
    progress: z.number().int(),
    message: z.string().optional(),
    resource_type: z.string().nullable(),
    resource_id: z.string().nullable(),
    error_code: z.string().optional(),
    at: TimestampSchema,
  })
  .openapi('JobEvent');

export const ListJobsQuery = PageQuerySchema.extend({
  status: JobStatusSchema.optional(),
  type: z.string().min(1).max(64).optional().openapi({ example: 'document.generate' }),
  resource_id: z.string().min(1).max(64).optional(),
});

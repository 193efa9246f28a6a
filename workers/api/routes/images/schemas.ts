import {
  DEFAULT_IMAGE_SIDE,
  IMAGE_SIDE_STEP,
  IMAGE_STATUSES,
  MAX_IMAGE_PROMPT,
  MAX_IMAGE_SIDE,
  MIN_IMAGE_SIDE,
} from '@flowspark/documents';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const IMAGE_ID_EXAMPLE = 'img_3c9e1a7b5d2f4e6a8b0c1d2e3f4a5b6c';

export const imageIdParams = z.object({ id: idParam('id', IMAGE_ID_EXAMPLE) });

const ImageStatusSchema = z.enum(IMAGE_STATUSES).openapi('ImageStatus');

const Side = z
  .number()
  .int()
  .min(MIN_IMAGE_SIDE)
  .max(MAX_IMAGE_SIDE)
  .multipleOf(IMAGE_SIDE_STEP, `Must be a multiple of ${IMAGE_SIDE_STEP}`)
  .optional()
  .openapi({
    description: `Pixels, ${MIN_IMAGE_SIDE} to ${MAX_IMAGE_SIDE}, a multiple of ${IMAGE_SIDE_STEP}; default ${DEFAULT_IMAGE_SIDE}`,
    example: 1024,
  });

export const GenerateImageSchema = z
  .strictObject({
    prompt: z.string().trim().min(1).max(MAX_IMAGE_PROMPT).openapi({ example: 'A lighthouse at dawn, watercolour' }),
    negative_prompt: z.string().max(MAX_IMAGE_PROMPT).optional().openapi({ description: 'What to avoid' }),
    width: Side,
    height: Side,
    seed: z
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .openapi({ description: 'Same prompt, size and seed give the same image where the model supports seeds' }),
  })
  .openapi('GenerateImageRequest');

export const ListImagesQuery = PageQuerySchema.extend({ status: ImageStatusSchema.optional() });

const ImageFields = {
  id: z.string().openapi({ example: IMAGE_ID_EXAMPLE }),
  prompt: z.string(),
  negative_prompt: z.string().nullable(),
  width: z
    .number()
    .int()
    .openapi({ description: 'Of the stored image once completed (some models ignore the request)' }),
  height: z.number().int(),
  status: ImageStatusSchema,
  file_size_bytes: z.number().int(),
  content_type: z.enum(['image/png', 'image/jpeg']).nullable(),
  model_used: z.string().nullable(),
  generation_time_ms: z.number().int().nullable(),
  error_code: z.string().nullable().openapi({ example: 'AI_INVALID_OUTPUT' }),
  error_message: z.string().nullable(),
  job_id: z.string().nullable(),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  download_url: z.string().nullable().openapi({
    description: 'The download path, once the image is completed',
    example: '/api/v1/images/img_3c9e1a7b5d2f4e6a8b0c1d2e3f4a5b6c/download',
  }),
};

export const ImageSchema = z.object(ImageFields).openapi('Image');

export const ImageWithJobSchema = z
  .object({ ...ImageFields, job_id: z.string().openapi({ example: 'job_7d3f9a1c5b2e4d6f8a0b1c2d3e4f5a6b' }) })
  .openapi('ImageWithJob');

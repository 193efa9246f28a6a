import { MAX_SLIDE_COUNT } from '@flowspark/documents';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema } from '../../lib/schemas';
import {
  ContentSchema,
  DescriptionSchema,
  DocumentStatusSchema,
  InputDataSchema,
  PromptSchema,
  TemplateIdSchema,
  TitleSchema,
} from '../documents/schemas';

export const PresentationIdParams = z.object({ id: idParam('id', 'doc_8b1d2c3e4f5a40617a8b9c0d1e2f3a4b') });

export const GeneratePresentationSchema = z
  .strictObject({
    title: TitleSchema,
    description: DescriptionSchema.optional(),
    prompt: PromptSchema.optional(),
    template_id: TemplateIdSchema.optional(),
    input_data: InputDataSchema.optional(),
    content: ContentSchema.openapi({
      description: 'A deck as a document model rendered as given: one slide per section (heading = slide title)',
    }),
    slide_count: z
      .number()
      .int()
      .min(1)
      .max(MAX_SLIDE_COUNT)
      .optional()
      .openapi({ description: 'Content slides the AI writes (after the title slide); default 8', example: 8 }),
    speaker_notes: z.boolean().optional().openapi({ description: 'Speaker notes on each slide; default true' }),
  })
  .openapi('GeneratePresentationRequest');

export const ListPresentationsQuery = PageQuerySchema.extend({ status: DocumentStatusSchema.optional() });

import {
  AGENT_DOCUMENT_FORMATS,
  AGENT_ROUTES,
  AGENT_RUN_STATUSES,
  CAPABILITY_STEPS,
  END_STEP,
  INTENT_STEP,
  MAX_AGENT_REQUEST_CHARS,
  VALIDATE_STEP,
} from '@flowspark/agents';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';
import { KbCitationSchema } from '../kb/schemas';

export const TAGS = ['Agents'];
export const AGENT_RUN_ID_EXAMPLE = 'agr_5e1f3a7c9b2d4f6e8a0c1b3d5f7e9a2c';

export const AgentRunIdParams = z.object({ id: idParam('id', AGENT_RUN_ID_EXAMPLE) });

const RouteSchema = z.enum(AGENT_ROUTES).openapi('AgentRoute', {
  description:
    'document: a generated DOCX/PDF/XLSX document; kb_query: an answer from the knowledge base; image: a generated image',
});
const StatusSchema = z.enum(AGENT_RUN_STATUSES).openapi('AgentRunStatus');

export const RunAgentSchema = z
  .strictObject({
    request: z.string().trim().min(1).max(MAX_AGENT_REQUEST_CHARS).openapi({
      description: 'What you want, in plain words',
      example: 'Write a PDF report about our solar panel sales in Q3',
    }),
    route: RouteSchema.optional().openapi({
      description: 'Skip the intent step and use this capability (routed_by `request`)',
    }),
  })
  .openapi('AgentRunRequest');

export const ListAgentRunsQuery = PageQuerySchema.extend({
  status: StatusSchema.optional(),
  route: RouteSchema.optional(),
});

const STEP_NAMES = [INTENT_STEP, ...Object.values(CAPABILITY_STEPS), VALIDATE_STEP, END_STEP].join(', ');

const DocumentResultSchema = z
  .object({
    document_id: z.string().openapi({ example: 'doc_3c9e1f7a2b8d4e6f9a0b1c2d3e4f5a6b' }),
    job_id: z.string().openapi({ example: 'job_7d3f9a1c5b2e4d6f8a0b1c2d3e4f5a6b' }),
    title: z.string().openapi({ example: 'PDF report about our solar panel sales in Q3' }),
    format: z.enum(AGENT_DOCUMENT_FORMATS),
    download_url: z.string().openapi({ example: '/api/v1/documents/doc_3c9e1f7a2b8d4e6f9a0b1c2d3e4f5a6b/download' }),
  })
  .openapi('AgentDocumentResult');

const ImageResultSchema = z
  .object({
    image_ids: z.array(z.string()).openapi({ example: ['img_3c9e1a7b5d2f4e6a8b0c1d2e3f4a5b6c'] }),
    job_id: z.string(),
    download_urls: z
      .array(z.string())
      .openapi({ example: ['/api/v1/images/img_3c9e1a7b5d2f4e6a8b0c1d2e3f4a5b6c/download'] }),
  })
  .openapi('AgentImageResult');

const KbResultSchema = z
  .object({
    answer: z.string().openapi({ example: 'Every employee receives twenty-five vacation days per year [1].' }),
    citations: z.array(KbCitationSchema),
    query_id: z.string().openapi({
      description: 'The question as recorded (GET /kb/queries)',
      example: 'kbq_1a2b3c4d5e6f40718293a4b5c6d7e8f9',
    }),
    model: z.string().nullable(),
    sources_found: z.boolean().openapi({
      description:
        'False when nothing relevant was found: the answer says so, with no citations (the run is still done)',
    }),
  })
  .openapi('AgentKbResult');

const AgentRunFields = {
  id: z.string().openapi({ example: AGENT_RUN_ID_EXAMPLE }),
  request: z.string(),
  status: StatusSchema,
  route: RouteSchema.nullable().openapi({ description: 'Null until the intent step chose one' }),
  routed_by: z.enum(['model', 'keywords', 'request']).nullable().openapi({
    description:
      "model: the AI's structured answer; keywords: the keyword router (the model's answer was invalid or unavailable, or the offline provider answered); request: the request's `route`",
    example: 'model',
  }),
  current_step: z
    .string()
    .nullable()
    .openapi({
      description: `The step the run is in, or failed in; \`end\` once done. Steps: ${STEP_NAMES}`,
      example: 'validate',
    }),
  completed_steps: z.array(z.string()).openapi({
    description: 'Steps that ran to their end, in order; a retried capability and its validation appear twice',
    example: ['parse_intent', 'document_agent', 'validate'],
  }),
  errors: z.array(z.string()).openapi({
    description: 'One entry per failure, `<step>: <code>: <message>`',
    example: ['validate: AI_INVALID_OUTPUT: The AI provider returned invalid structured output twice'],
  }),
  retry_count: z.number().int().openapi({ description: '1 when the capability was tried a second time', example: 0 }),
  result: z
    .union([DocumentResultSchema, ImageResultSchema, KbResultSchema])
    .nullable()
    .openapi({ description: 'Once done: the document, the images, or the answer with its citations (by `route`)' }),
  error_code: z.string().nullable().openapi({ example: 'INSUFFICIENT_TOKENS' }),
  error_message: z.string().nullable(),
  cache_bypass: z
    .boolean()
    .openapi({ description: 'Asked with Cache-Control: no-cache: the intent call skips the semantic cache' }),
  tokens_used: z.number().int().openapi({ description: "What the run's AI calls and jobs were charged" }),
  created_by: z.string().nullable(),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
  finished_at: TimestampSchema.nullable(),
};

export const AgentRunSchema = z.object(AgentRunFields).openapi('AgentRun');

const AiRequestSchema = z
  .object({
    id: z.string().openapi({ example: 'air_0a1b2c3d4e5f60718293a4b5c6d7e8f9' }),
    purpose: z.string().openapi({ description: 'intent or kb_answer', example: 'intent' }),
    step_id: z.string().nullable(),
    model: z.string().nullable(),
    provider: z.string().nullable(),
    prompt_sha256: z.string().openapi({ description: 'The prompt is not kept, only its SHA-256' }),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache: z
      .enum(['hit', 'miss', 'bypass'])
      .nullable()
      .openapi({ description: "The semantic cache's part; null: not cacheable" }),
    latency_ms: z.number().int().nullable(),
    created_at: TimestampSchema,
  })
  .openapi('AgentAiRequest');

export const AgentRunDetailSchema = z
  .object({
    ...AgentRunFields,
    ai_requests: z.array(AiRequestSchema).openapi({ description: "The run's AI calls, oldest first" }),
  })
  .openapi('AgentRunDetail');

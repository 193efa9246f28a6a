import { type listAiRequests, presentAiRequest } from '@flowspark/workflows/ai-requests';
import { MAX_STEPS, STEP_TYPES, VARIABLE_TYPES } from '@flowspark/workflows/definition';
import { EXECUTION_STATUSES, type ExecutionRow, type ExecutionStepRow } from '@flowspark/workflows/executions';
import {
  versionDefinition,
  versionTriggers,
  versionVariables,
  type WorkflowRecord,
  type WorkflowVersionRow,
} from '@flowspark/workflows/workflows';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';

export const WORKFLOW_ID_EXAMPLE = 'wfl_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const EXECUTION_ID_EXAMPLE = 'exe_0a1b2c3d4e5f60718293a4b5c6d7e8f9';
export const WorkflowIdParams = z.object({ id: idParam('id', WORKFLOW_ID_EXAMPLE) });
export const ExecutionIdParams = z.object({ id: idParam('id', EXECUTION_ID_EXAMPLE) });
export const VersionParams = z.object({
  id: idParam('id', WORKFLOW_ID_EXAMPLE),
  version: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: 'version', in: 'path' }, example: 2 }),
});

const STEP_DOC =
  'A step: `{ id, type, name?, retry?: { limit 0–10, delay_seconds?, backoff?: constant|linear|exponential }, ' +
  'timeout_seconds?, … }` with the fields of its type: `llm` { prompt, system?, model?, temperature?, max_tokens?, ' +
  'response_format?: text|json }; `kb_query` { query, top_k? }; `generate_document` { format: docx|pdf|xlsx, title, ' +
  'prompt?, template_id?, input_data? }; `http_request` { url (public https), method?, headers?, body? }; ' +
  '`condition` { if: expression, on_true?: step id|"end", on_false?: step id|"end" }; `notify` { title, body?, to?: runner|admins }. ' +
  'Strings may use `{{input.<name>}}` and `{{steps.<id>.output}}` (with a path: `{{steps.fetch.output.body.items.0}}`), ' +
  'also `{{workflow.id}}`, `{{execution.id}}`.';

const StepBodySchema = z
  .looseObject({
    id: z.string().openapi({ example: 'summarise' }),
    type: z.string().openapi({ example: 'llm', description: `One of ${STEP_TYPES.join(', ')}` }),
  })
  .openapi('WorkflowStep', { description: STEP_DOC });

const VariableBodySchema = z
  .strictObject({
    name: z.string().openapi({ example: 'topic' }),
    type: z.enum(VARIABLE_TYPES).optional(),
    required: z.boolean().optional(),
    default: z.unknown().optional(),
    description: z.string().max(500).optional(),
  })
  .openapi('WorkflowVariable', { description: 'A declared input: runs are checked against it, defaults applied' });

const TriggerBodySchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('manual') }),
    z.strictObject({ type: z.literal('webhook') }),
    z.strictObject({
      type: z.literal('cron'),
      schedule: z.string().min(1).max(100).openapi({ example: '0 9 * * 1-5' }),
      input: z.record(z.string(), z.unknown()).optional(),
    }),
  ])
  .openapi('WorkflowTrigger', {
    description:
      '`manual` (POST /workflows/{id}/run), `webhook` (POST /hooks/workflows/{id} with the secret), `cron` (a ' +
      'five-field UTC schedule, checked every 5 minutes, run with its `input`)',
  });

export const WorkflowInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).openapi({ example: 'Weekly digest' }),
    description: z.string().max(2_000).nullable().optional(),
    enabled: z.boolean().optional().openapi({ description: 'Disabled workflows keep their history but do not run' }),
    definition: z.strictObject({ steps: z.array(StepBodySchema).min(1).max(MAX_STEPS) }),
    variables: z.array(VariableBodySchema).max(50).optional(),
    triggers: z
      .array(TriggerBodySchema)
      .max(10)
      .optional()
      .openapi({ description: 'Default: `[{ "type": "manual" }]`' }),
  })
  .openapi('WorkflowInput');

export const WorkflowSchema = z
  .object({
    id: z.string().openapi({ example: WORKFLOW_ID_EXAMPLE }),
    name: z.string(),
    description: z.string().nullable(),
    enabled: z.boolean(),
    version: z.number().int().openapi({ description: 'The current version: what a run uses' }),
    definition: z.object({ steps: z.array(StepBodySchema) }),
    variables: z.array(VariableBodySchema),
    triggers: z.array(TriggerBodySchema),
    webhook: z
      .object({
        url: z.string().openapi({ example: 'https://api.example.com/api/v1/hooks/workflows/wfl_…' }),
        secret: z
          .string()
          .optional()
          .openapi({ description: 'Shown once: when the first webhook trigger is added, and on rotation' }),
      })
      .nullable()
      .openapi({ description: 'When the workflow has a webhook trigger' }),
    created_by: z.string().nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Workflow');

export const WorkflowVersionSchema = z
  .object({
    version: z.number().int(),
    definition: z.object({ steps: z.array(StepBodySchema) }),
    variables: z.array(VariableBodySchema),
    triggers: z.array(TriggerBodySchema),
    created_by: z.string().nullable(),
    created_at: TimestampSchema,
  })
  .openapi('WorkflowVersion');

export const RunWorkflowSchema = z
  .strictObject({
    input: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ example: { topic: 'edge computing' }, description: 'Checked against the declared variables' }),
  })
  .openapi('RunWorkflowRequest');

const ErrorInfo = z.object({ code: z.string(), message: z.string() }).nullable();

export const ExecutionStepSchema = z
  .object({
    step_id: z.string(),
    position: z.number().int(),
    type: z.string(),
    status: z.enum(['pending', 'running', 'done', 'error', 'skipped', 'cancelled']),
    input: z.unknown().openapi({ description: 'The parameters as run, templates filled in (a retry reuses them)' }),
    output: z.unknown(),
    error: ErrorInfo.openapi({ description: 'The last attempt’s error (also while a retry is pending)' }),
    attempts: z.number().int(),
    tokens_used: z.number().int(),
    started_at: TimestampSchema.nullable(),
    finished_at: TimestampSchema.nullable(),
    duration_ms: z.number().int().nullable(),
  })
  .openapi('ExecutionStep');

const AiRequestSchema = z
  .object({
    id: z.string(),
    purpose: z.string(),
    step_id: z.string().nullable(),
    model: z.string().nullable(),
    provider: z.string().nullable(),
    prompt_sha256: z.string(),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache: z.enum(['hit', 'miss', 'bypass']).nullable(),
    latency_ms: z.number().int().nullable(),
    created_at: TimestampSchema,
  })
  .openapi('AiRequest');

const executionFields = {
  id: z.string().openapi({ example: EXECUTION_ID_EXAMPLE }),
  workflow_id: z.string(),
  version: z.number().int().openapi({ description: 'The workflow version this execution runs' }),
  status: z.enum(EXECUTION_STATUSES),
  trigger: z.enum(['manual', 'webhook', 'cron']),
  input: z.record(z.string(), z.unknown()),
  output: z.unknown().openapi({ description: 'The output of the last step that ran' }),
  error: z.object({ code: z.string(), message: z.string(), step_id: z.string().nullable() }).nullable(),
  runs: z.number().int().openapi({ description: '1, plus one per retry' }),
  cache_bypass: z.boolean(),
  tokens_used: z.number().int(),
  created_by: z.string().nullable(),
  created_at: TimestampSchema,
  started_at: TimestampSchema.nullable(),
  finished_at: TimestampSchema.nullable(),
};

export const ExecutionSummarySchema = z.object(executionFields).openapi('ExecutionSummary');
export const ExecutionSchema = z
  .object({ ...executionFields, steps: z.array(ExecutionStepSchema), ai_requests: z.array(AiRequestSchema) })
  .openapi('Execution');

export const ExecutionListQuery = PageQuerySchema.extend({
  workflow_id: z.string().min(1).max(64).optional(),
  status: z.enum(EXECUTION_STATUSES).optional(),
});

export const StartedSchema = z
  .object({ execution_id: z.string().openapi({ example: EXECUTION_ID_EXAMPLE }), execution: ExecutionSummarySchema })
  .openapi('ExecutionStarted');

// ——— Presenters ———

export const hookUrl = (appUrl: string, id: string) => `${appUrl.replace(/\/$/, '')}/api/v1/hooks/workflows/${id}`;

export const presentVersion = (version: WorkflowVersionRow) => ({
  version: version.version,
  definition: versionDefinition(version) as unknown as z.infer<typeof WorkflowSchema>['definition'],
  variables: versionVariables(version),
  triggers: versionTriggers(version),
  created_by: version.createdBy,
  created_at: version.createdAt,
});

export const presentWorkflow = (record: WorkflowRecord, appUrl: string) => {
  const { workflow, version } = record;
  const { version: number, definition, variables, triggers } = presentVersion(version);
  const webhook = triggers.some((t) => t.type === 'webhook')
    ? { url: hookUrl(appUrl, workflow.id), ...(record.webhookSecret ? { secret: record.webhookSecret } : {}) }
    : null;
  return {
    id: workflow.id,
    name: workflow.name,
    description: workflow.description,
    enabled: workflow.enabled,
    version: number,
    definition,
    variables,
    triggers,
    webhook,
    created_by: workflow.createdBy,
    created_at: workflow.createdAt,
    updated_at: workflow.updatedAt,
  };
};

export const presentExecutionSummary = (row: ExecutionRow) => ({
  id: row.id,
  workflow_id: row.workflowId,
  version: row.version,
  status: row.status,
  trigger: row.trigger,
  input: row.input,
  output: row.output ?? null,
  error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '', step_id: row.failedStep } : null,
  runs: row.runs,
  cache_bypass: row.cacheBypass,
  tokens_used: row.tokensUsed,
  created_by: row.createdBy,
  created_at: row.createdAt,
  started_at: row.startedAt,
  finished_at: row.finishedAt,
});

export const presentStep = (row: ExecutionStepRow) => ({
  step_id: row.stepId,
  position: row.position,
  type: row.type,
  status: row.status,
  input: row.input ?? null,
  output: row.output ?? null,
  error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
  attempts: row.attempts,
  tokens_used: row.tokensUsed,
  started_at: row.startedAt,
  finished_at: row.finishedAt,
  duration_ms: row.durationMs,
});

export const presentExecution = (detail: {
  execution: ExecutionRow;
  steps: ExecutionStepRow[];
  aiRequests: Awaited<ReturnType<typeof listAiRequests>>;
}) => ({
  ...presentExecutionSummary(detail.execution),
  steps: detail.steps.map(presentStep),
  ai_requests: detail.aiRequests.map(presentAiRequest),
});

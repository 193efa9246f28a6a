import { WEBHOOK_EVENT_TYPES, WEBHOOK_SUBSCRIPTIONS } from '@flowspark/webhooks';
import { z } from '@hono/zod-openapi';
import { idParam, TimestampSchema } from '../../lib/schemas';

export const WEBHOOK_ID_EXAMPLE = 'whk_4f1c2d3e4f5a4b6c8d9e0f1a2b3c4d5e';
export const webhookIdParams = z.object({ id: idParam('id', WEBHOOK_ID_EXAMPLE) });

const EventTypes = z
  .array(z.enum(WEBHOOK_SUBSCRIPTIONS))
  .min(1)
  .max(WEBHOOK_SUBSCRIPTIONS.length)
  .openapi({ description: `Any of ${WEBHOOK_EVENT_TYPES.join(', ')}; \`billing.*\` for every billing event` });

export const CreateWebhookSchema = z
  .strictObject({
    url: z
      .string()
      .max(2_048)
      .openapi({ description: 'https, on a public host', example: 'https://hooks.example.com/flowspark' }),
    description: z.string().trim().max(200).optional(),
    event_types: EventTypes,
  })
  .openapi('CreateWebhookRequest');

export const UpdateWebhookSchema = z
  .strictObject({
    url: z.string().max(2_048).optional(),
    description: z.string().trim().max(200).optional(),
    event_types: EventTypes.optional(),
    enabled: z.boolean().optional().openapi({ description: 'Enabling clears the failure count' }),
  })
  .openapi('UpdateWebhookRequest');

export const WebhookSchema = z
  .object({
    id: z.string().openapi({ example: WEBHOOK_ID_EXAMPLE }),
    url: z.string(),
    description: z.string(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    consecutive_failures: z.number().int(),
    disabled_reason: z.string().nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Webhook');

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: 'The signing secret (whsec_…): shown this once', example: 'whsec_…' }),
}).openapi('WebhookWithSecret');

export const WebhookDeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string().openapi({ description: 'The `webhook-id` header: the same on every retry' }),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attempts: z.number().int(),
    next_attempt_at: TimestampSchema.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    last_response: z.string().nullable().openapi({ description: 'The first 1 KB of the last answer' }),
    last_duration_ms: z.number().int().nullable(),
    created_at: TimestampSchema,
    delivered_at: TimestampSchema.nullable(),
  })
  .openapi('WebhookDelivery');

import { SCOPES } from '@flowspark/core';
import { z } from '@hono/zod-openapi';
import { TimestampSchema } from '../../lib/schemas';

/** An API key as listed: never the secret, only the prefix that tells keys apart. */
export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: 'key_3b1f0c9a7d2e4f6b8a0c1d2e3f4a5b6c' }),
    name: z.string(),
    prefix: z.string().openapi({ example: 'fsk_AbCd1234', description: 'The first 12 characters of the key' }),
    scopes: z.array(z.string()).openapi({ example: ['profile:read', 'api_keys:read'] }),
    rate_limit_per_minute: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The key's own limit, below the plan's; null means only the plan's limit applies" }),
    expires_at: TimestampSchema.nullable(),
    last_used_at: TimestampSchema.nullable().openapi({ description: 'Updated at most once a minute' }),
    created_at: TimestampSchema,
    user_id: z.string().openapi({ description: 'The creator; the key acts with their current role' }),
  })
  .openapi('ApiKey');

export const ApiKeyCreatedSchema = ApiKeySchema.extend({
  key: z.string().openapi({
    example: 'fsk_AbCd1234EfGh5678IjKl9012MnOp3456QrSt7890',
    description: 'The full key. Shown only in this response: store it now.',
  }),
}).openapi('ApiKeyCreated');

export const CreateApiKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z.union([z.tuple([z.literal('*')]), z.array(z.enum(SCOPES)).min(1).max(SCOPES.length)]).openapi({
      description: "Scopes within the creator's role, or exactly ['*'] for every scope of the creator's role",
      example: ['profile:read', 'api_keys:read'],
    }),
    expires_at: z.iso.datetime({ offset: true }).optional().openapi({ example: '2027-01-01T00:00:00Z' }),
    rate_limit_per_minute: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: "At most the plan's per-minute limit" }),
  })
  .openapi('CreateApiKeyRequest');

import { z } from '@hono/zod-openapi';
import { TimestampSchema } from '../../lib/schemas';

export const SsoDomainSchema = z
  .object({
    id: z.string().openapi({ example: 'sdm_4f0c2b7e9a1d4c3b8e6f5a2d1c0b9e8f' }),
    domain: z.string().openapi({ example: 'acme.com' }),
    role: z.enum(['member', 'viewer']).openapi({ description: 'The role a first sign-in from the domain joins with' }),
    verified: z.boolean(),
    verified_at: TimestampSchema.nullable(),
    verification: z
      .object({
        type: z.literal('TXT'),
        name: z.string().openapi({ example: '_flowspark-challenge.acme.com' }),
        value: z.string().openapi({ example: 'flowspark-domain-verification=Zm9vYmFy…' }),
      })
      .openapi({ description: 'Publish this DNS record, then POST …/verify' }),
    created_at: TimestampSchema,
  })
  .openapi('SsoDomain');

export const SsoSettingsSchema = z
  .object({
    required: z.boolean().openapi({ description: 'Members sign in only through SSO; password login is refused' }),
    providers: z.array(z.string()).openapi({ example: ['google'] }),
    domains: z.array(SsoDomainSchema),
  })
  .openapi('SsoSettings');

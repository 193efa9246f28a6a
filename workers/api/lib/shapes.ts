import { ROLES } from '@flowspark/core';
import { z } from '@hono/zod-openapi';
import { TimestampSchema } from './schemas';

/** Response shapes shared by several route groups. */
export const RoleSchema = z.enum(ROLES).openapi('Role');

export const UserSchema = z
  .object({
    id: z.string().openapi({ example: 'usr_5f2b8c1d9e7a4b3c8d6e0f1a2b3c4d5e' }),
    email: z.string(),
    name: z.string(),
    mfa_enabled: z.boolean(),
    last_login_at: TimestampSchema.nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('User');

export const OrganizationSchema = z
  .object({
    id: z.string().openapi({ example: 'org_0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f' }),
    name: z.string(),
    slug: z.string(),
    plan: z.enum(['free', 'pro', 'enterprise']),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Organization');

export const TokensSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().openapi({ description: 'Seconds until the access token expires' }),
    refresh_token: z.string().openapi({ description: 'Opaque, single use: every refresh returns a new one' }),
    refresh_token_expires_in: z.number().int(),
    session_id: z.string(),
  })
  .openapi('Tokens');

/** What register, login, MFA challenge and invitation acceptance return. */
export const SignedInSchema = z
  .object({
    user: UserSchema,
    organization: OrganizationSchema,
    role: RoleSchema,
    tokens: TokensSchema,
    device_token: z
      .string()
      .optional()
      .openapi({
        description:
          'Issued at the first complete sign-in from a device (login or MFA challenge). Keep it and send it ' +
          'as `device_token` at later logins: a known device is never locked out by failures elsewhere.',
        example: 'fsd_Jq3…',
      }),
  })
  .openapi('SignedIn');

import { z } from '@hono/zod-openapi';
import { TimestampSchema } from '../../lib/schemas';
import { OrganizationSchema, RoleSchema } from '../../lib/shapes';

/** Shapes shared by the organization, member and invitation routes. */
export const CurrentOrganizationSchema = OrganizationSchema.extend({
  member_count: z.number().int().openapi({ example: 3 }),
}).openapi('CurrentOrganization');

export const MemberSchema = z
  .object({
    user_id: z.string().openapi({ example: 'usr_5f2b8c1d9e7a4b3c8d6e0f1a2b3c4d5e' }),
    email: z.string(),
    name: z.string(),
    role: RoleSchema,
    joined_at: TimestampSchema,
  })
  .openapi('OrganizationMember');

export const InvitationSchema = z
  .object({
    id: z.string().openapi({ example: 'inv_7a1c2e3f4b5d6a7c8e9f0a1b2c3d4e5f' }),
    email: z.string(),
    role: RoleSchema,
    expires_at: TimestampSchema,
    created_at: TimestampSchema,
    invited_by: z.string().openapi({ description: 'User id of the inviter' }),
  })
  .openapi('Invitation');

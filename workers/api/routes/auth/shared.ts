import type { Actor } from '@flowspark/core';
import type { ClientInfo, Profile } from '@flowspark/identity';
import { z } from '@hono/zod-openapi';
import { type AppContext, clientIp } from '../../lib/context';
import { OrganizationSchema, RoleSchema, UserSchema } from '../../lib/shapes';

/** Who is asking, as recorded on sessions and login attempts. */
export const clientInfo = (c: AppContext): ClientInfo => ({
  ip: clientIp(c),
  userAgent: c.req.header('user-agent') ?? null,
});

export const AuthMessageSchema = z
  .object({ message: z.string().openapi({ example: 'Your password has been changed' }) })
  .openapi('AuthMessage');

export const MeSchema = z
  .object({
    user: UserSchema,
    organization: OrganizationSchema,
    role: RoleSchema,
    auth: z.object({
      kind: z.enum(['user', 'api_key']),
      scopes: z.array(z.string()).openapi({ example: ['profile:read', 'profile:write'] }),
      session_id: z.string().nullable().openapi({ description: 'Set when signed in with an access token' }),
      api_key_id: z.string().nullable().openapi({ description: 'Set when calling with an API key' }),
    }),
  })
  .openapi('AuthMe');

export const presentMe = (profile: Profile, auth: Actor) => ({
  ...profile,
  auth: {
    kind: auth.kind,
    scopes: [...auth.scopes],
    session_id: auth.sessionId,
    api_key_id: auth.apiKeyId,
  },
});

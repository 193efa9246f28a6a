import { z } from '@hono/zod-openapi';

export const SsoProviderParamsSchema = z.object({
  provider: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,31}$/, 'Invalid provider')
    .openapi({ param: { name: 'provider', in: 'path' }, example: 'google' }),
});

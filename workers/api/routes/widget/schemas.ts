import { z } from '@hono/zod-openapi';

export const PublicKeyParams = z.object({
  public_key: z
    .string()
    .max(100)
    .openapi({ param: { name: 'public_key', in: 'path' }, example: 'pk_0123456789abcdef0123456789abcdef01234567' }),
});

const ThemeSchema = z.object({
  primary_color: z.string(),
  background_color: z.string(),
  text_color: z.string(),
  position: z.enum(['bottom-right', 'bottom-left']),
  title: z.string(),
  avatar_url: z.string().nullable(),
});

export const WidgetConfigSchema = z
  .object({
    bot: z.object({
      name: z.string(),
      welcome_message: z.string(),
      suggested_messages: z.array(z.string()),
      theme: ThemeSchema,
    }),
  })
  .openapi('WidgetConfig');

export const WidgetSessionInputSchema = z
  .strictObject({
    visitor_token: z
      .string()
      .max(512)
      .optional()
      .openapi({ description: 'The token an earlier session gave this visitor: the same conversation again' }),
  })
  .openapi('WidgetSessionInput');

export const WidgetSessionSchema = z
  .object({
    visitor_token: z.string().openapi({ description: 'Keep it (the widget uses localStorage) to return' }),
    conversation_id: z.string(),
    returning: z.boolean(),
  })
  .openapi('WidgetSession');

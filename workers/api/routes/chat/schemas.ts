import {
  BotConfigurationFields,
  BotConfigurationInputSchema,
  MAX_BOT_NAME_CHARS,
  MAX_CONVERSATION_TITLE_CHARS,
  MAX_MESSAGE_CHARS,
} from '@flowspark/chat';
import { z } from '@hono/zod-openapi';
import { idParam, PageQuerySchema, TimestampSchema } from '../../lib/schemas';
import {
  CreateKbTextSchema,
  KB_DOCUMENT_ID_EXAMPLE,
  ListKbDocumentsQuery,
  UploadKbDocumentSchema,
} from '../kb/schemas';

export const BOT_ID_EXAMPLE = 'bot_3e9a0c1b2d4f4a6b8c0d1e2f3a4b5c6d';
export const CONVERSATION_ID_EXAMPLE = 'cnv_7b1c2d3e4f5a4b6c8d9e0f1a2b3c4d5e';
export const MESSAGE_ID_EXAMPLE = 'msg_0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const PUBLIC_KEY_EXAMPLE = 'pk_5d41402abc4b2a76b9719d911017c592e5d4c6b1';

export const botIdParams = z.object({ id: idParam('id', BOT_ID_EXAMPLE) });
export const conversationIdParams = z.object({ id: idParam('id', CONVERSATION_ID_EXAMPLE) });

// Rebuilt from the package's shapes: a schema made before @hono/zod-openapi was loaded has no .openapi().
const ConfigurationInput = z.strictObject(BotConfigurationInputSchema.shape).openapi('BotConfigurationInput', {
  description:
    'Any of the configuration fields; unknown fields are refused. On creation the others take their defaults; ' +
    'on change they keep their values (the theme field by field).',
  example: {
    system_prompt: 'You answer questions about Acme products.',
    agent_type: 'rag',
    chat_history_length: 10,
    allowed_origins: ['https://www.acme.test'],
    theme: { primary_color: '#0f766e', title: 'Ask Acme' },
  },
});

export const BotConfigurationSchema = z.strictObject(BotConfigurationFields.shape).openapi('BotConfiguration', {
  description:
    '`system_prompt` (≤ 8,000 characters), `model` (null: the provider default), `temperature` (0–2), ' +
    '`chat_history_length` (earlier messages sent with each new one, 0–50), `agent_type` (`rag`: answers only ' +
    'from the bot’s documents; `plain`: the model alone), `top_k` (passages per message, 1–20), `welcome_message`, ' +
    '`suggested_messages` (≤ 6), `allowed_origins` (exact origins the widget may run on, ≤ 20), `visibility` ' +
    '(`private` | `public`: the widget answers visitors), `theme` (hex colours, `position`, `title`, https ' +
    '`avatar_url`), `visitor_message_limit` (messages per visitor per hour).',
});

const NameSchema = z.string().trim().min(1).max(MAX_BOT_NAME_CHARS);

export const CreateBotSchema = z
  .strictObject({ name: NameSchema, configuration: ConfigurationInput.optional() })
  .openapi('CreateBotRequest');

export const UpdateBotSchema = z
  .strictObject({ name: NameSchema.optional(), configuration: ConfigurationInput.optional() })
  .openapi('UpdateBotRequest');

export const BotSchema = z
  .object({
    id: z.string().openapi({ example: BOT_ID_EXAMPLE }),
    name: z.string(),
    public_key: z.string().openapi({
      example: PUBLIC_KEY_EXAMPLE,
      description:
        'The widget key: it goes in the web page, so it is not a secret. POST /bots/{id}/rotate-key changes it.',
    }),
    configuration: BotConfigurationSchema,
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Bot');

export const CreateConversationSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(MAX_CONVERSATION_TITLE_CHARS).optional().openapi({
      description: 'Default: the start of the first message',
    }),
  })
  .openapi('CreateConversationRequest');

export const ConversationSchema = z
  .object({
    id: z.string().openapi({ example: CONVERSATION_ID_EXAMPLE }),
    bot_id: z.string().openapi({ example: BOT_ID_EXAMPLE }),
    title: z.string().nullable(),
    user_id: z.string().nullable().openapi({ description: 'Who started it; null for a widget visitor' }),
    visitor_id: z.string().nullable(),
    message_count: z.number().int(),
    last_message_at: TimestampSchema.nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .openapi('Conversation');

const UsageSchema = z
  .object({
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    estimated: z.boolean().openapi({ description: 'The provider reported no counts: estimated' }),
  })
  .openapi('ChatTokenUsage');

const CitationSchema = z
  .object({
    document_id: z.string(),
    chunk_id: z.string(),
    title: z.string().openapi({ description: "The training document's title" }),
    page_number: z.number().int().nullable().openapi({ description: 'The PDF page of the passage; null otherwise' }),
    snippet: z.string().openapi({ description: 'An excerpt of the passage' }),
    score: z.number().openapi({ description: 'The passage’s retrieval score (higher is better)' }),
  })
  .openapi('ChatCitation');

export const MessageSchema = z
  .object({
    id: z.string().openapi({ example: MESSAGE_ID_EXAMPLE }),
    conversation_id: z.string().openapi({ example: CONVERSATION_ID_EXAMPLE }),
    role: z.enum(['user', 'assistant']),
    content: z.string(),
    citations: z.array(CitationSchema).openapi({ description: 'The bot documents the reply is drawn from' }),
    usage: UsageSchema.nullable().openapi({ description: 'The reply’s tokens; null for a user message' }),
    model: z.string().nullable().openapi({ description: 'null for a user message or a reply given without a model' }),
    latency_ms: z.number().int().nullable().openapi({ description: 'From the message’s arrival to the stored reply' }),
    stopped: z.boolean().openapi({
      description:
        'A reply ended by a stop frame on the conversation’s socket: the text generated until then (possibly empty), ' +
        'with estimated usage',
    }),
    created_at: TimestampSchema,
  })
  .openapi('ChatMessage');

export const ExchangeSchema = z
  .object({ user_message: MessageSchema, assistant_message: MessageSchema })
  .openapi('ChatExchange');

export const SendMessageSchema = z
  .strictObject({
    content: z.string().trim().min(1).max(MAX_MESSAGE_CHARS).openapi({ example: 'What are your opening hours?' }),
  })
  .openapi('SendMessageRequest');

export const ListMessagesQuerySchema = PageQuerySchema.extend({
  after: idParam('after', MESSAGE_ID_EXAMPLE)
    .optional()
    .openapi({ param: { name: 'after', in: 'query' }, description: 'Only the messages stored after this one' }),
});

export const EXPORT_FORMATS = ['json', 'md'] as const;

export const ExportQuerySchema = z.strictObject({
  format: z
    .enum(EXPORT_FORMATS)
    .default('json')
    .openapi({ param: { name: 'format', in: 'query' }, description: '`json` (default) or `md` (Markdown)' }),
});

export const ConversationExportSchema = z
  .object({
    conversation: ConversationSchema,
    bot: z.object({ id: z.string().openapi({ example: BOT_ID_EXAMPLE }), name: z.string() }),
    messages: z.array(MessageSchema).openapi({ description: 'Every message, oldest first, with its citations' }),
    truncated: z.boolean().openapi({ description: 'The conversation has more messages than an export holds (10,000)' }),
    exported_at: TimestampSchema,
  })
  .openapi('ConversationExport');

// Training documents: knowledge-base documents of the bot's own scope, in the same shapes.
export const botDocumentParams = z.object({
  id: idParam('id', BOT_ID_EXAMPLE),
  document_id: idParam('document_id', KB_DOCUMENT_ID_EXAMPLE),
});

export const UploadBotDocumentSchema = UploadKbDocumentSchema.pick({ file: true, title: true }).openapi(
  'UploadBotDocumentRequest',
);

export const CreateBotTextSchema = CreateKbTextSchema.pick({ title: true, text: true, format: true }).openapi(
  'CreateBotTextRequest',
);

export const ListBotDocumentsQuery = ListKbDocumentsQuery.pick({ page: true, page_size: true, status: true });

/**
 * A bot's configuration (seed 001: "the configuration field … system prompts, temperature settings,
 * agent type identifiers"). Validated strictly: unknown fields are refused, every field has a default,
 * and a stored configuration is always complete, so readers never guess.
 */
import { z } from 'zod';

export const AGENT_TYPES = ['rag', 'plain'] as const;
export type AgentType = (typeof AGENT_TYPES)[number];
export const BOT_VISIBILITIES = ['private', 'public'] as const;
export type BotVisibility = (typeof BOT_VISIBILITIES)[number];
export const WIDGET_POSITIONS = ['bottom-right', 'bottom-left'] as const;

export const MAX_BOT_NAME_CHARS = 100;
export const MAX_SYSTEM_PROMPT_CHARS = 8_000;
export const MAX_CHAT_HISTORY_LENGTH = 50;
export const MAX_TOP_K = 20;
export const MAX_SUGGESTED_MESSAGES = 6;
export const MAX_SUGGESTED_MESSAGE_CHARS = 200;
export const MAX_WELCOME_MESSAGE_CHARS = 1_000;
export const MAX_ALLOWED_ORIGINS = 20;
export const MAX_VISITOR_MESSAGE_LIMIT = 1_000;

export const DEFAULT_SYSTEM_PROMPT =
  'You are a helpful assistant. Answer clearly and briefly, and say so when you do not know.';

const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
const MODEL = /^[A-Za-z0-9@._:/-]{1,128}$/;

const Color = z.string().regex(COLOR, 'Must be a hex colour such as #2563eb');

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * True for an exact origin a widget may be embedded on: `scheme://host[:port]` as a browser writes it
 * in `Origin` (lower-case, no default port), https (http only for localhost while developing), without
 * a path, query, fragment, credentials or wildcard. The widget compares `Origin` with it as a string.
 */
export const isExactOrigin = (value: string): boolean => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname))) return false;
  // URL() keeps a `*` in a host name; an origin never has one.
  return url.origin === value && !url.hostname.includes('*');
};

const OriginSchema = z
  .string()
  .max(255)
  .refine(
    isExactOrigin,
    'Must be an exact origin such as https://www.example.com: lower-case, https (http only for localhost), no path, wildcard or default port',
  );

const HttpsUrl = z
  .string()
  .max(2_048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'Must be an https URL');

const unique =
  (what: string) =>
  <T>(items: T[], ctx: z.RefinementCtx) => {
    const seen = new Set<T>();
    items.forEach((item, index) => {
      if (seen.has(item)) ctx.addIssue({ code: 'custom', path: [index], message: `Duplicate ${what}` });
      seen.add(item);
    });
  };

const ThemeFields = z.strictObject({
  primary_color: Color,
  background_color: Color,
  text_color: Color,
  position: z.enum(WIDGET_POSITIONS),
  title: z.string().trim().min(1).max(80),
  avatar_url: HttpsUrl.nullable(),
});

/** Every field of a stored configuration (all required). */
export const BotConfigurationFields = z.strictObject({
  system_prompt: z.string().trim().min(1).max(MAX_SYSTEM_PROMPT_CHARS),
  /** The chat model; null: the provider's default (AI_CHAT_MODEL). */
  model: z.string().regex(MODEL, 'Must be a model name').nullable(),
  temperature: z.number().min(0).max(2),
  /** How many earlier messages of the conversation go with each new one (0: none). */
  chat_history_length: z.number().int().min(0).max(MAX_CHAT_HISTORY_LENGTH),
  agent_type: z.enum(AGENT_TYPES),
  /** Passages retrieved from the bot's documents for each message of a `rag` bot. */
  top_k: z.number().int().min(1).max(MAX_TOP_K),
  welcome_message: z.string().trim().max(MAX_WELCOME_MESSAGE_CHARS),
  suggested_messages: z
    .array(z.string().trim().min(1).max(MAX_SUGGESTED_MESSAGE_CHARS))
    .max(MAX_SUGGESTED_MESSAGES)
    .superRefine(unique('suggested message')),
  allowed_origins: z.array(OriginSchema).max(MAX_ALLOWED_ORIGINS).superRefine(unique('origin')),
  visibility: z.enum(BOT_VISIBILITIES),
  theme: ThemeFields,
  /** Messages one widget visitor may send per hour. */
  visitor_message_limit: z.number().int().min(1).max(MAX_VISITOR_MESSAGE_LIMIT),
});

export type BotConfiguration = z.output<typeof BotConfigurationFields>;

const DEFAULTS: BotConfiguration = {
  system_prompt: DEFAULT_SYSTEM_PROMPT,
  model: null,
  temperature: 0.3,
  chat_history_length: 10,
  agent_type: 'rag',
  top_k: 5,
  welcome_message: 'Hello! How can I help you today?',
  suggested_messages: [],
  allowed_origins: [],
  visibility: 'private',
  theme: {
    primary_color: '#2563eb',
    background_color: '#ffffff',
    text_color: '#111827',
    position: 'bottom-right',
    title: 'Chat with us',
    avatar_url: null,
  },
  visitor_message_limit: 20,
};

/** Every field's default. Frozen: callers copy it. */
export const DEFAULT_BOT_CONFIGURATION: Readonly<BotConfiguration> = Object.freeze(DEFAULTS);

/**
 * What a client sends, on creation and on change: any of the fields. On creation the others take
 * their defaults; on change they keep their stored values (the theme field by field).
 */
export const BotConfigurationInputSchema = BotConfigurationFields.extend({
  theme: ThemeFields.partial(),
}).partial();

export type BotConfigurationInput = z.output<typeof BotConfigurationInputSchema>;

const defined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** `input` over `base`: the given fields replace base's, the theme field by field. */
export const mergeConfiguration = (base: BotConfiguration, input: BotConfigurationInput = {}): BotConfiguration => {
  const { theme, ...rest } = input;
  return { ...base, ...defined(rest), theme: { ...base.theme, ...defined(theme ?? {}) } };
};

/**
 * A stored configuration as today's code reads it: validated and completed with the defaults of
 * fields added since it was written. A field that no longer validates takes its default.
 */
export const readConfiguration = (stored: unknown): BotConfiguration => {
  const fields = typeof stored === 'object' && stored ? (stored as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [key, fallback] of Object.entries(DEFAULT_BOT_CONFIGURATION)) {
    const schema =
      key === 'theme' ? ThemeFields.partial() : BotConfigurationFields.shape[key as keyof BotConfiguration];
    const parsed = schema.safeParse(fields[key]);
    out[key] =
      key === 'theme'
        ? { ...DEFAULT_BOT_CONFIGURATION.theme, ...(parsed.success ? defined(parsed.data as object) : {}) }
        : parsed.success
          ? parsed.data
          : fallback;
  }
  return out as BotConfiguration;
};

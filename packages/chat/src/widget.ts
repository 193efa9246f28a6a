/**
 * The public side of a bot: what its embeddable widget may see and do without an account. A widget
 * finds its bot by the public key (not a secret), only while the bot is public; a browser's `Origin`
 * must be one of the bot's exact `allowed_origins`; and a visitor is known again across reloads by a
 * visitor token: the visitor id sealed (AES-GCM, under a key derived from the deployment's
 * ENCRYPTION_KEY) together with the bot and its current public key, so rotating the key ends every
 * visitor's session and a token for one bot opens nothing else.
 */
import { decryptSecret, encryptSecret } from '@flowspark/auth';
import { AppError, notFound } from '@flowspark/core';
import { type Database, schema } from '@flowspark/db';
import { eq } from 'drizzle-orm';
import type { BotRecord } from './bots';
import { readConfiguration } from './configuration';

const { bots } = schema;

const VISITOR_TOKEN_PURPOSE = 'chat-widget-visitor';
const PUBLIC_KEY = /^pk_[0-9a-f]{40}$/;
const VISITOR_ID = /^vis_[0-9a-f]{32}$/;

/** The widget's view of a bot: what the loader needs to draw itself, nothing else. */
export interface WidgetBotView {
  name: string;
  welcome_message: string;
  suggested_messages: string[];
  theme: BotRecord['configuration']['theme'];
}

/** A public bot by its public key; unknown, malformed and private keys alike are not found. */
export const findWidgetBot = async (db: Database, publicKey: string): Promise<BotRecord> => {
  if (!PUBLIC_KEY.test(publicKey)) throw notFound('Bot');
  const [row] = await db.select().from(bots).where(eq(bots.publicKey, publicKey)).limit(1);
  if (!row) throw notFound('Bot');
  const bot = { ...row, configuration: readConfiguration(row.configuration) };
  if (bot.configuration.visibility !== 'public') throw notFound('Bot');
  return bot;
};

export const widgetView = (bot: BotRecord): WidgetBotView => ({
  name: bot.name,
  welcome_message: bot.configuration.welcome_message,
  suggested_messages: bot.configuration.suggested_messages,
  theme: bot.configuration.theme,
});

/** True when the browser's origin may embed the bot: exact string match with an allowed origin. */
export const widgetOriginAllowed = (bot: BotRecord, origin: string | null | undefined): origin is string =>
  typeof origin === 'string' && bot.configuration.allowed_origins.includes(origin);

/**
 * Refuses a request whose `Origin` is not one of the bot's allowed origins. `required`: a request
 * without an Origin (not from a browser page) is refused too, as on the socket and the session.
 */
export const assertWidgetOrigin = (bot: BotRecord, origin: string | null | undefined, required: boolean): void => {
  if (!origin && !required) return;
  if (!widgetOriginAllowed(bot, origin)) {
    throw new AppError('FORBIDDEN', 'This site may not embed this bot: add its origin to the bot’s allowed_origins', {
      details: { origin: origin ?? null },
    });
  }
};

interface SealedVisitor {
  b: string;
  k: string;
  v: string;
}

export const newVisitorId = (): string => `vis_${crypto.randomUUID().replaceAll('-', '')}`;

export const sealVisitorToken = (keyMaterial: string, bot: BotRecord, visitorId: string): Promise<string> =>
  encryptSecret(
    keyMaterial,
    VISITOR_TOKEN_PURPOSE,
    JSON.stringify({ b: bot.id, k: bot.publicKey, v: visitorId } satisfies SealedVisitor),
  );

/** The visitor id a token names, or null when the token is not this bot's (or not valid any more). */
export const openVisitorToken = async (keyMaterial: string, bot: BotRecord, token: string): Promise<string | null> => {
  if (typeof token !== 'string' || token.length > 512) return null;
  let sealed: SealedVisitor;
  try {
    sealed = JSON.parse(await decryptSecret(keyMaterial, VISITOR_TOKEN_PURPOSE, token)) as SealedVisitor;
  } catch {
    return null;
  }
  if (sealed?.b !== bot.id || sealed.k !== bot.publicKey || !VISITOR_ID.test(sealed.v ?? '')) return null;
  return sealed.v;
};

/** A visitor known again by their token, or a new one. */
export const visitorFor = async (
  keyMaterial: string,
  bot: BotRecord,
  token: string | undefined,
): Promise<{ visitorId: string; visitorToken: string; returning: boolean }> => {
  const known = token ? await openVisitorToken(keyMaterial, bot, token) : null;
  if (known && token) return { visitorId: known, visitorToken: token, returning: true };
  const visitorId = newVisitorId();
  return { visitorId, visitorToken: await sealVisitorToken(keyMaterial, bot, visitorId), returning: false };
};

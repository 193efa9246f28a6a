/**
 * Bots: a name, a configuration (configuration.ts) and a public key for the widget. Every query is
 * scoped to the tenant; another tenant's bot is not found.
 */
import { AppError, newId, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, eq } from 'drizzle-orm';
import { type ChatActor, mayManagePublicBots, publicBotRefused } from './access';
import {
  type BotConfiguration,
  type BotConfigurationInput,
  DEFAULT_BOT_CONFIGURATION,
  mergeConfiguration,
  readConfiguration,
} from './configuration';
import { connectedConversations } from './live';
import type { ChatSessionsPort, VisitorCloseReason } from './ports';

const { bots } = schema;

type BotRow = typeof bots.$inferSelect;

/** A bot with its configuration read and completed (see `readConfiguration`). */
export interface BotRecord extends Omit<BotRow, 'configuration'> {
  configuration: BotConfiguration;
}

export interface NewBot {
  name: string;
  configuration?: BotConfigurationInput;
}

export interface BotChange {
  name?: string;
  configuration?: BotConfigurationInput;
}

/** A bot row as the package reads it (its configuration completed). */
export const toBotRecord = (row: BotRow): BotRecord => ({
  ...row,
  configuration: readConfiguration(row.configuration),
});

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** `pk_` and 160 random bits: unguessable, so a bot cannot be found by trying keys, but not a secret. */
export const newPublicKey = (): string => `pk_${hex(crypto.getRandomValues(new Uint8Array(20)))}`;

export const createBot = async (db: Database, actor: ChatActor, input: NewBot): Promise<BotRecord> => {
  const configuration = mergeConfiguration({ ...DEFAULT_BOT_CONFIGURATION }, input.configuration);
  if (configuration.visibility === 'public' && !mayManagePublicBots(actor)) throw publicBotRefused('make public');
  const now = new Date().toISOString();
  const [row] = await db
    .insert(bots)
    .values({
      id: newId('bot'),
      orgId: actor.orgId,
      name: input.name,
      configuration,
      publicKey: newPublicKey(),
      createdBy: actor.userId,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return toBotRecord(row!);
};

export const getBot = async (db: Database, orgId: string, id: string): Promise<BotRecord | null> => {
  const [row] = await db
    .select()
    .from(bots)
    .where(and(eq(bots.orgId, orgId), eq(bots.id, id)))
    .limit(1);
  return row ? toBotRecord(row) : null;
};

export const requireBot = async (db: Database, orgId: string, id: string): Promise<BotRecord> => {
  const bot = await getBot(db, orgId, id);
  if (!bot) throw notFound('Bot');
  return bot;
};

/** The tenant's bots, newest first: one page query and one count. */
export const listBots = async (
  db: Database,
  orgId: string,
  page: PageRequest,
): Promise<{ items: BotRecord[]; total: number }> => {
  const { items, total } = await paginateNewestFirst(db, bots, eq(bots.orgId, orgId), page);
  return { items: items.map(toBotRecord), total };
};

/** A change to a bot that was changed meanwhile is refused rather than lost. */
const changedMeanwhile = () =>
  new AppError('CONFLICT', 'The bot was changed by another request meanwhile; read it again and retry');

const writeBot = async (db: Database, current: BotRecord, values: Partial<BotRow>): Promise<BotRecord> => {
  const [row] = await db
    .update(bots)
    .set({ ...values, updatedAt: new Date().toISOString() })
    .where(and(eq(bots.orgId, current.orgId), eq(bots.id, current.id), eq(bots.updatedAt, current.updatedAt)))
    .returning();
  if (!row) throw changedMeanwhile();
  return toBotRecord(row);
};

export const assertMayChange = (actor: ChatActor, current: BotRecord, action: 'change' | 'train' | 'delete') => {
  if (current.configuration.visibility === 'public' && !mayManagePublicBots(actor)) throw publicBotRefused(action);
};

/**
 * Why a change to a bot ends its visitors' sockets, or null: a public bot made private, or one that
 * no longer allows an origin it allowed (the widget checks the origin only when a socket opens).
 */
export const visitorsMustLeave = (before: BotConfiguration, after: BotConfiguration): VisitorCloseReason | null => {
  if (before.visibility !== 'public') return null;
  if (after.visibility !== 'public') return 'bot made private';
  return before.allowed_origins.some((origin) => !after.allowed_origins.includes(origin))
    ? 'origin no longer allowed'
    : null;
};

type BotPorts = { db: Database; sessions?: ChatSessionsPort };

/** Closes the sockets of the bot's visitors (after the change that refuses them was written). */
const closeVisitors = async (ports: BotPorts, orgId: string, botId: string, reason: VisitorCloseReason) => {
  if (!ports.sessions) return;
  const live = await connectedConversations(ports.db, orgId, { botId, kind: 'visitor' });
  if (live.length > 0) {
    await ports.sessions.closeVisitors(
      orgId,
      live.map((row) => row.conversationId),
      reason,
    );
  }
};

/**
 * The name and the configuration fields given replace the stored ones; the rest stays. A public bot
 * made private, or no longer allowing an origin, closes its visitors' sockets.
 */
export const updateBot = async (
  ports: BotPorts,
  actor: ChatActor,
  id: string,
  change: BotChange,
): Promise<BotRecord> => {
  const current = await requireBot(ports.db, actor.orgId, id);
  assertMayChange(actor, current, 'change');
  const configuration = mergeConfiguration(current.configuration, change.configuration);
  if (configuration.visibility === 'public' && !mayManagePublicBots(actor)) throw publicBotRefused('make public');
  const updated = await writeBot(ports.db, current, { name: change.name ?? current.name, configuration });
  const reason = visitorsMustLeave(current.configuration, configuration);
  if (reason) await closeVisitors(ports, actor.orgId, id, reason);
  return updated;
};

/**
 * A new public key; the old one stops working at once (a widget embedded with it stops loading, and
 * its visitors' sockets close).
 */
export const rotateBotKey = async (ports: BotPorts, actor: ChatActor, id: string): Promise<BotRecord> => {
  const current = await requireBot(ports.db, actor.orgId, id);
  assertMayChange(actor, current, 'change');
  const updated = await writeBot(ports.db, current, { publicKey: newPublicKey() });
  await closeVisitors(ports, actor.orgId, id, 'bot key rotated');
  return updated;
};

/**
 * Deletes the bot with its conversations, messages and training documents, and closes the sockets
 * open on them (the
 * conversations with credentialed sockets are read in the same batch as the delete).
 */
export const deleteBot = async (
  ports: {
    db: Database;
    sessions?: ChatSessionsPort;
    /** Removes the bot's training documents (their files and indexes), before the bot goes. */
    purgeDocuments?: (bot: BotRecord) => Promise<unknown>;
  },
  actor: ChatActor,
  id: string,
): Promise<void> => {
  const { db } = ports;
  const current = await requireBot(db, actor.orgId, id);
  assertMayChange(actor, current, 'delete');
  await ports.purgeDocuments?.(current);
  const [live, deleted] = await db.batch([
    connectedConversations(db, actor.orgId, { botId: id }),
    db
      .delete(bots)
      .where(and(eq(bots.orgId, actor.orgId), eq(bots.id, id), eq(bots.updatedAt, current.updatedAt)))
      .returning({ id: bots.id }),
  ]);
  if (deleted.length === 0) throw (await getBot(db, actor.orgId, id)) ? changedMeanwhile() : notFound('Bot');
  const ids = live.map((row) => row.conversationId);
  if (ids.length > 0) await ports.sessions?.end(actor.orgId, ids);
};

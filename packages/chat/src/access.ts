import { type Actor, AppError, ROLE_RANK } from '@flowspark/core';

/** Who acts on chat resources: the tenant, the user, and the role that decides what they see. */
export type ChatActor = Pick<Actor, 'orgId' | 'userId' | 'role'>;

/**
 * An anonymous widget visitor: they see their own conversation with one bot, and only while the bot
 * is public (under the key their socket was opened with, when it is given).
 */
export interface ChatVisitor {
  orgId: string;
  visitorId: string;
  botId: string;
  publicKey?: string;
}

/** Whoever sends a message: a user of the tenant or a widget visitor. */
export type ChatParticipant = ChatActor | ChatVisitor;

export const isVisitor = (who: ChatParticipant): who is ChatVisitor => 'visitorId' in who;

/**
 * Owners and admins see every conversation of the organization; members and viewers their own (an
 * API key's are its creator's). The same rule as for knowledge-base questions.
 */
export const seesAllConversations = (actor: Pick<Actor, 'role'>): boolean => ROLE_RANK[actor.role] >= ROLE_RANK.admin;

/**
 * A public bot answers anyone on the origins it allows, at the organization's cost: only owners and
 * admins make a bot public, and only they change, re-key or delete one that is.
 */
export const mayManagePublicBots = (actor: Pick<Actor, 'role'>): boolean => ROLE_RANK[actor.role] >= ROLE_RANK.admin;

export const publicBotRefused = (action: 'make public' | 'change' | 'train' | 'delete') =>
  new AppError(
    'FORBIDDEN',
    action === 'make public'
      ? 'Only owners and admins can make a bot public'
      : `Only owners and admins can ${action} a public bot`,
  );

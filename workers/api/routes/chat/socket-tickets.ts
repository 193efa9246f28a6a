import { randomToken, sha256Hex } from '@flowspark/auth';
import type { Env } from '../../../env';
import { chatSession } from '../../../lib/chat';
import type { ChatTicketGrant } from '../../../objects/chat-session';
import { offeredSubprotocol } from '../../lib/subprotocol';

/**
 * Short-lived, single-use tickets for opening a conversation's socket from a browser, which cannot
 * set an Authorization header on a WebSocket (the job feed's design). A ticket is
 * `<conversation id>.<random>`: the conversation part names the chat-session object that holds its
 * SHA-256 (never the ticket itself), so a ticket only ever opens its own conversation.
 */
export const CHAT_TICKET_TTL_SECONDS = 60;
export const CHAT_TICKET_PROTOCOL_PREFIX = 'flowspark.chat-ticket.';

const TICKET_PATTERN = /^(cnv_[0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

export const issueChatTicket = async (env: Env, grant: ChatTicketGrant): Promise<string> => {
  const ticket = `${grant.conversationId}.${randomToken(32)}`;
  await chatSession(env, grant.conversationId).issueTicket(await sha256Hex(ticket), grant, CHAT_TICKET_TTL_SECONDS);
  return ticket;
};

/** The ticket's grant for this conversation, consuming it; null when malformed, unknown, used, expired or another's. */
export const redeemChatTicket = async (
  env: Env,
  ticket: string,
  conversationId: string,
): Promise<ChatTicketGrant | null> => {
  const match = TICKET_PATTERN.exec(ticket);
  if (!match || match[1] !== conversationId) return null;
  const grant = await chatSession(env, conversationId).redeemTicket(await sha256Hex(ticket));
  return grant && grant.conversationId === conversationId ? grant : null;
};

/** The ticket subprotocol the client offered in `Sec-WebSocket-Protocol`, if any. */
export const offeredChatTicket = (header: string | undefined): string | undefined =>
  offeredSubprotocol(header, CHAT_TICKET_PROTOCOL_PREFIX);

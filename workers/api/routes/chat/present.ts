import type { BotRecord, ConversationExport, ConversationRow, StoredExchange } from '@flowspark/chat';
import { presentMessage } from '../../../lib/chat';

/** Never the organization or the creator. */
export const presentBot = (bot: BotRecord) => ({
  id: bot.id,
  name: bot.name,
  public_key: bot.publicKey,
  configuration: bot.configuration,
  created_at: bot.createdAt,
  updated_at: bot.updatedAt,
});

export const presentConversation = (row: ConversationRow) => ({
  id: row.id,
  bot_id: row.botId,
  title: row.title,
  user_id: row.userId,
  visitor_id: row.visitorId,
  message_count: row.messageCount,
  last_message_at: row.lastMessageAt,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
});

export const presentExchange = (exchange: StoredExchange) => ({
  user_message: presentMessage(exchange.user),
  assistant_message: presentMessage(exchange.assistant),
});

export { presentMessage };

export const presentExport = (data: ConversationExport, exportedAt: string) => ({
  conversation: presentConversation(data.conversation),
  bot: { id: data.conversation.botId, name: data.botName },
  messages: data.messages.map(presentMessage),
  truncated: data.truncated,
  exported_at: exportedAt,
});

import type { AiProvider } from '@flowspark/ai';
import type { Database } from '@flowspark/db';
import type { MessageRow } from './messages';
import type { BotRetrieval } from './retrieval';

/** Why a bot's visitors lose their sockets (the bot itself is still there). */
export type VisitorCloseReason = 'bot made private' | 'bot key rotated' | 'origin no longer allowed';

/** The live side of conversations (chat-session objects), as the chat services see it. */
export interface ChatSessionsPort {
  /** Closes every socket of these conversations: they were deleted. */
  end(orgId: string, conversationIds: string[]): Promise<void>;
  /** Tells the sockets of a conversation about messages stored without them (a REST reply). */
  announce(orgId: string, conversationId: string, stored: MessageRow[]): Promise<void>;
  /** Closes the widget visitors' sockets of these conversations (their bot no longer admits them). */
  closeVisitors(orgId: string, conversationIds: string[], reason: VisitorCloseReason): Promise<void>;
}

/** What a reply needs. `sessions` is absent where the caller is the conversation's own session. */
export interface ChatPorts {
  db: Database;
  ai: Pick<AiProvider, 'chat' | 'chatStream'>;
  retrieval: BotRetrieval;
  sessions?: ChatSessionsPort;
}

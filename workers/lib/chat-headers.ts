/**
 * The headers the Worker sets when it forwards a chat socket's upgrade to the conversation's
 * ChatSession object: who the caller is, as the Worker checked it. Nothing the client sent reaches
 * the object under these names (the Worker builds the forwarded request itself). No imports, so the
 * object's module stays light.
 */
export const CHAT_ORG_HEADER = 'x-flowspark-chat-org';
export const CHAT_CONVERSATION_HEADER = 'x-flowspark-chat-conversation';

// A user's socket (bearer or ticket).
export const CHAT_USER_HEADER = 'x-flowspark-chat-user';
export const CHAT_ROLE_HEADER = 'x-flowspark-chat-role';
export const CHAT_SESSION_HEADER = 'x-flowspark-chat-session';
export const CHAT_API_KEY_HEADER = 'x-flowspark-chat-api-key';
/** `1` when the caller may send messages (chat:write). */
export const CHAT_WRITE_HEADER = 'x-flowspark-chat-write';
/** The time the credential is known valid from (seconds). */
export const CHAT_ISSUED_AT_HEADER = 'x-flowspark-chat-issued-at';
/** The subprotocol the client offered and the Worker accepted; echoed in the 101 response. */
export const CHAT_PROTOCOL_HEADER = 'x-flowspark-chat-protocol';

// A widget visitor's socket (instead of the user's headers).
export const CHAT_VISITOR_HEADER = 'x-flowspark-chat-visitor';
export const CHAT_BOT_HEADER = 'x-flowspark-chat-bot';
/** The bot's public key the widget connected with: a socket of a re-keyed bot is refused. */
export const CHAT_BOT_KEY_HEADER = 'x-flowspark-chat-bot-key';
/** Messages the visitor may send per hour (the bot's `visitor_message_limit`). */
export const CHAT_VISITOR_LIMIT_HEADER = 'x-flowspark-chat-visitor-limit';

/** The tenant gate's buckets (JSON) each message is counted against; both kinds of socket. */
export const CHAT_BUCKETS_HEADER = 'x-flowspark-chat-buckets';

/** A tenant gate bucket, as the RateLimiter object takes it. */
export interface ChatGateBucket {
  key: string;
  per_minute: number;
}

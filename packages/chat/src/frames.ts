/**
 * The conversation socket's frames (`GET /conversations/{id}/ws`, and the widget's visitor socket):
 * JSON text both ways. Types only, with no runtime code and no imports, so a browser client can
 * `import type` this file.
 *
 * Every event of the conversation (a user message, a token of the reply, a stored message, a failed
 * reply) carries an `event_id`: one sequence per conversation, increasing by one, that every socket
 * on the conversation sees in the same order. A client keeps the last `event_id` it handled and
 * reconnects with `?since=<event_id>` (or sends `resume`): it gets the events after that one, then
 * live ones, without a gap and without a duplicate. The first frame on a socket, and after each
 * `resume`, is `ready`/`resumed`, which says where the socket stands. Frames addressed to one socket
 * (`ready`, `resumed`, `error`, `pong`) are not events and carry no `event_id`.
 */

export interface ChatCitationView {
  document_id: string;
  chunk_id: string;
  title: string;
  /** The PDF page of the passage; null otherwise. */
  page_number: number | null;
  snippet: string;
  score: number;
}

export interface ChatUsageView {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** The provider reported no counts (or the reply was stopped): estimated. */
  estimated: boolean;
}

/** A message as REST, SSE, the socket and the export all show it. */
export interface ChatMessageView {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: ChatCitationView[];
  /** The reply's token usage; null for a user message. */
  usage: ChatUsageView | null;
  /** The model that wrote the reply; null for a user message, a reply given without a model, or one stopped first. */
  model: string | null;
  /** From the message's arrival to the stored reply; null for a user message. */
  latency_ms: number | null;
  /** An assistant reply ended by a `stop` frame: the text generated until then (possibly empty). */
  stopped: boolean;
  created_at: string;
}

// Client → server.

/** Sends a message (1 to 4,000 characters); needs a writer socket. One reply at a time per conversation. */
export interface SendFrame {
  type: 'message';
  content: string;
}

/** Ends the reply being generated; what was generated so far is stored, marked `stopped`. Writers only. */
export interface StopFrame {
  type: 'stop';
}

/**
 * Replays the events after `since` (an `event_id`; 0: every event the session keeps; a message id:
 * the events after that message was stored), then continues live. Without `since`: from now, with the
 * reply being generated from its start.
 */
export interface ResumeFrame {
  type: 'resume';
  since?: number | string | null;
}

/** The exact text `{"type":"ping"}` is answered `{"type":"pong"}` without waking the session. */
export interface PingFrame {
  type: 'ping';
}

export type ClientFrame = SendFrame | StopFrame | ResumeFrame | PingFrame;

// Server → client: frames for one socket.

/** The first frame on a socket (`ready`) and the answer to `resume` (`resumed`); the replay follows it. */
export interface ReadyFrame {
  type: 'ready' | 'resumed';
  conversation_id: string;
  /** Where the socket stands: every event that follows has a greater `event_id`. */
  last_event_id: number;
  /** How many events follow as the replay (before live ones). */
  replayed: number;
  /**
   * The session no longer keeps every stored message after `since` (or did not know `since`): the
   * replay is what it keeps; read the rest with `GET /conversations/{id}/messages`.
   */
  truncated: boolean;
  /** A reply is being generated: its events so far are in the replay, the rest comes live. */
  generating: boolean;
}

/** A frame of this socket was refused (or could not be handled); nothing else happened. */
export interface ErrorFrame {
  type: 'error';
  /** VALIDATION_ERROR, INSUFFICIENT_SCOPE, CONFLICT, RATE_LIMITED, NOT_FOUND, FORBIDDEN, SERVICE_UNAVAILABLE, INTERNAL_ERROR. */
  code: string;
  message: string;
  details?: Record<string, unknown>;
  /** RATE_LIMITED: seconds until a message would be admitted. */
  retry_after?: number;
}

export interface PongFrame {
  type: 'pong';
}

// Server → client: events of the conversation, the same on every socket.

/** Someone sent a message; its reply is being generated (the message is stored with the reply). */
export interface UserMessageEvent {
  type: 'user_message';
  event_id: number;
  message: ChatMessageView;
}

/** A piece of the reply: the reply's text is the concatenation of its tokens. */
export interface TokenEvent {
  type: 'token';
  event_id: number;
  /** The user message being answered. */
  reply_to: string;
  /** The id the reply will have once stored. */
  message_id: string;
  text: string;
}

/** A stored message: the question, then its reply (also for replies sent over REST). */
export interface MessageEvent {
  type: 'message';
  event_id: number;
  message: ChatMessageView;
}

/** The reply failed; nothing was stored for it (neither the question nor the reply). */
export interface FailedEvent {
  type: 'failed';
  event_id: number;
  reply_to: string;
  message_id: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type ChatEvent = UserMessageEvent | TokenEvent | MessageEvent | FailedEvent;

export type ServerFrame = ReadyFrame | ErrorFrame | PongFrame | ChatEvent;

/**
 * Close codes the server uses: 4401 credentials revoked; 4403 membership ended, or (a visitor) the bot
 * was made private, re-keyed or stopped allowing the origin; 4404 conversation deleted; 1013 the
 * credential could not be checked just then (reconnect with `since`); 1011 a socket error.
 */
export type ChatCloseCode = 4401 | 4403 | 4404 | 1013 | 1011;

/**
 * What the chat widget and the API say to each other. The widget is a browser script, so these types
 * are the contract the server side (`/widget/{public_key}/config` and `/widget/{public_key}/ws`)
 * answers to; both sides import them from here.
 */

export interface WidgetTheme {
  primary_color: string;
  background_color: string;
  text_color: string;
  position: 'bottom-right' | 'bottom-left';
  title: string;
  avatar_url: string | null;
}

/** `GET /widget/{public_key}/config` → `data`. */
export interface WidgetConfig {
  bot: {
    name: string;
    welcome_message: string | null;
    suggested_messages: string[];
    theme: WidgetTheme;
  };
}

export interface WidgetCitation {
  document_id: string;
  title: string;
  snippet: string;
}

export interface WidgetMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  citations: WidgetCitation[];
  created_at: string;
}

/** Frames the server sends; every frame after `ready` carries the event id a reconnect resumes from. */
export type ServerFrame =
  | { type: 'ready'; conversation_id: string; visitor_token: string; messages: WidgetMessage[]; event_id: number }
  | { type: 'message'; event_id: number; message: WidgetMessage }
  | { type: 'token'; event_id: number; message_id: string; text: string }
  | { type: 'error'; code: string; message: string; event_id?: number };

/** Frames the widget sends. */
export type ClientFrame = { type: 'message'; content: string } | { type: 'stop' };

/** Query parameters of `/widget/{public_key}/ws`. */
export interface WidgetSocketParams {
  /** The token a previous `ready` frame gave this visitor (absent on a first visit). */
  visitor_token?: string;
  /** The last event id the widget saw: missed events are replayed before live ones. */
  since?: number;
}

export const PING = 'ping';
export const PONG = 'pong';

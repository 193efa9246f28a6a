import { DurableObject } from 'cloudflare:workers';
import type {
  ChatEvent,
  ChatMessageView,
  ChatParticipant,
  ErrorFrame,
  FailedEvent,
  ReadyFrame,
  VisitorCloseReason,
} from '@flowspark/chat';
import { type Actor, describeError, isAppError, isRole, logger, type Role } from '@flowspark/core';
import type { ConnectionOwners } from '@flowspark/identity';
import type { Env } from '../env';
import {
  CHAT_API_KEY_HEADER,
  CHAT_BOT_HEADER,
  CHAT_BOT_KEY_HEADER,
  CHAT_BUCKETS_HEADER,
  CHAT_CONVERSATION_HEADER,
  CHAT_ISSUED_AT_HEADER,
  CHAT_ORG_HEADER,
  CHAT_PROTOCOL_HEADER,
  CHAT_ROLE_HEADER,
  CHAT_SESSION_HEADER,
  CHAT_USER_HEADER,
  CHAT_VISITOR_HEADER,
  CHAT_VISITOR_LIMIT_HEADER,
  CHAT_WRITE_HEADER,
  type ChatGateBucket,
} from '../lib/chat-headers';
import { storeTicket, TICKETS_TABLE, takeTicket } from './tickets';

/**
 * One instance per conversation (`idFromName(conversationId)`): the conversation's live session.
 * Every socket on the conversation (two tabs, a colleague watching, a widget visitor) receives the
 * conversation's events in the same order, each with its `event_id` (packages/chat/src/frames.ts):
 * the user message, the reply's tokens as they are generated, the stored messages once the reply is
 * complete (or stopped), a failed reply. Messages go to D1 exactly as over REST (packages/chat: both
 * together, when the reply is complete), where the REST routes list them.
 *
 * The events are kept in this object's SQLite storage (the event log), so a socket that reconnects
 * with the last `event_id` it saw gets exactly what it missed, then live events, also after the object
 * was evicted. The log is bounded: every event of the reply being generated and of the last
 * KEEP_REPLY_EVENTS replies, and the stored-message events of the last MAX_LOG_MESSAGES messages;
 * older token events go (the stored reply, a later event, has their whole text), and a resume from
 * before the oldest stored message kept is told it is `truncated`. Replies stored over REST reach the
 * log as they are announced, and on every connect or resume the log catches up with D1 (messages
 * stored while no socket was open).
 *
 * Sockets use the Hibernation API: the object can be evicted between messages without closing them;
 * what a socket needs is its attachment (who it is, whether they may write, the tenant gate's buckets
 * they are counted against, for a visitor their hourly limit), a few hundred bytes.
 *
 * Only the Worker talks to this object: it authenticates the caller (a user's bearer or ticket, or the
 * widget route for a visitor) and checks that they may see the conversation, then forwards the upgrade
 * with who they are in headers it sets itself (workers/lib/chat-headers.ts).
 *
 * A user's socket lives no longer than the credential that opened it: each message is admitted by the
 * tenant gate (rate limit and revocation) before anything is generated; a revocation closes the sockets
 * of the credential at once (`closeConnections`, found through the `chat_connections` rows this object
 * keeps while sockets are open); and a new socket is checked against D1 right after it is accepted,
 * which closes the race with a revocation running while it connected. A visitor's socket lives as long
 * as its bot admits visitors: each message is counted against the visitor's hourly limit (in this
 * object's storage) and admitted by the tenant gate; a bot made private, re-keyed or deleted closes
 * them (`closeVisitors`, `end`), and a new one is checked against the bot right after it is accepted.
 */

/** A client frame: `{"type":"message","content":"…"}` at most 4,000 characters, or a control frame. */
const MAX_CLIENT_FRAME_CHARS = 20_000;
/** Every event of the last this many replies is kept (tokens included): a resume mid-reply is exact. */
export const KEEP_REPLY_EVENTS = 5;
/** Stored-message events kept in the log (older ones are read over REST). */
export const MAX_LOG_MESSAGES = 200;
/** The longest a visitor may be limited to per hour (the bot configuration's maximum). */
const MAX_VISITOR_LIMIT = 1_000;
const HOUR_MS = 3_600_000;

/** Who a chat ticket was issued to; the Worker re-checks it with the tenant gate on use. */
export type ChatTicketGrant = Pick<Actor, 'orgId' | 'userId' | 'role' | 'sessionId' | 'apiKeyId'> &
  Partial<Pick<Actor, 'apiKeyRateLimitPerMinute'>> & {
    conversationId: string;
    plan: string;
    /** Seconds since the epoch. */
    issuedAt: number;
    canWrite: boolean;
  };

/** A user's socket (bearer or ticket). `k` is absent on sockets opened before visitors existed. */
interface UserAttachment {
  k?: 'u';
  org: string;
  usr: string;
  role: Role;
  ses: string | null;
  key: string | null;
  /** May send messages. */
  w: boolean;
  /** The gate's buckets each message is counted against. */
  b: ChatGateBucket[];
  iat: number | null;
}

/** A widget visitor's socket: always a writer. */
interface VisitorAttachment {
  k: 'v';
  org: string;
  vis: string;
  bot: string;
  pk: string | null;
  /** Messages per hour. */
  lim: number;
  b: ChatGateBucket[];
}

type SocketAttachment = UserAttachment | VisitorAttachment;

const isVisitorSocket = (a: SocketAttachment): a is VisitorAttachment => a.k === 'v';

export interface ChatCloseReason {
  code: number;
  reason: string;
}

export const CHAT_CLOSE_REVOKED: ChatCloseReason = { code: 4401, reason: 'credentials revoked' };
export const CHAT_CLOSE_MEMBERSHIP_ENDED: ChatCloseReason = { code: 4403, reason: 'membership ended' };
export const CHAT_CLOSE_GONE: ChatCloseReason = { code: 4404, reason: 'conversation deleted' };
export const CHAT_CLOSE_UNVERIFIED: ChatCloseReason = {
  code: 1013,
  reason: 'credentials could not be verified; reconnect',
};
/** A visitor's bot no longer admits them: 4403 with the reason (made private, re-keyed, origin). */
export const chatCloseVisitor = (reason: VisitorCloseReason | 'bot unavailable'): ChatCloseReason => ({
  code: 4403,
  reason,
});

const userTag = (id: string) => `usr:${id}`;
const sessionTag = (id: string) => `ses:${id}`;
const apiKeyTag = (id: string) => `key:${id}`;
const VISITOR_TAG = 'visitor';
const CREDENTIAL_TAG = 'credential';

const PING = '{"type":"ping"}';
const PONG = '{"type":"pong"}';

const closeSocket = (ws: WebSocket, why: ChatCloseReason): boolean => {
  try {
    ws.close(why.code, why.reason);
    return true;
  } catch {
    return false;
  }
};

const MESSAGE_ID = /^msg_[0-9a-f]{32}$/;
const EVENT_ID = /^\d{1,15}$/;
const VISITOR_ID = /^[A-Za-z0-9_-]{1,128}$/;
const BOT_ID = /^bot_[0-9a-f]{32}$/;

/** Where a replay starts: after an event id, after a stored message, or (null) from now. */
type Since = number | string | null;

const parseSince = (value: unknown): Since | undefined => {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string') {
    if (EVENT_ID.test(value)) return Number(value);
    if (MESSAGE_ID.test(value)) return value;
  }
  return undefined;
};

/** The fields each client frame may have. */
const FRAME_FIELDS: Record<string, string[]> = {
  message: ['type', 'content'],
  stop: ['type'],
  resume: ['type', 'since'],
  ping: ['type'],
};

/** The reply being generated (one at a time per conversation). */
interface ReplyInFlight {
  userId: string;
  assistantId: string;
  /** The event id of its `user_message`. */
  firstEventId: number;
  controller: AbortController;
}

/** A socket being sent what it missed: frames for it alone wait here until the replay was sent. */
interface CatchingUp {
  waiting: string[];
  pending: number;
}

type EventBody = ChatEvent extends infer E ? (E extends ChatEvent ? Omit<E, 'event_id'> : never) : never;

export class ChatSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly catchingUp = new Map<WebSocket, CatchingUp>();
  private reply: ReplyInFlight | null = null;
  /** A message is being admitted or answered (a reply may not have started yet). */
  private busy: AbortController | null = null;
  private lastId: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ${TICKETS_TABLE}
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        stored_id TEXT,
        frame TEXT NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS events_stored ON events (stored_id);
      CREATE INDEX IF NOT EXISTS events_type ON events (type, id);
      CREATE TABLE IF NOT EXISTS visitor_sends (visitor TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS visitor_sends_visitor ON visitor_sends (visitor, at);
    `);
    // Answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    // A reply that was being generated when the object stopped cannot go on: it failed.
    const interrupted = this.getMeta('reply');
    if (interrupted) {
      const { userId, assistantId } = JSON.parse(interrupted) as Pick<ReplyInFlight, 'userId' | 'assistantId'>;
      this.setMeta('reply', null);
      this.append({
        type: 'failed',
        reply_to: userId,
        message_id: assistantId,
        code: 'SERVICE_UNAVAILABLE',
        message: 'The reply was interrupted; send the message again',
      });
    }
  }

  /** Stores a ticket's hash for `ttlSeconds`. */
  issueTicket(hash: string, grant: ChatTicketGrant, ttlSeconds: number): void {
    storeTicket(this.sql, hash, grant, ttlSeconds);
  }

  /** Consumes a ticket: it works once, and not after it expired. */
  redeemTicket(hash: string): ChatTicketGrant | null {
    return takeTicket<ChatTicketGrant>(this.sql, hash);
  }

  /**
   * The WebSocket upgrade, forwarded by the Worker after authentication: a user's socket or a
   * visitor's. `?since=<event id>` (or a message id) replays what came after it first.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const h = (name: string) => request.headers.get(name) || null;
    const orgId = h(CHAT_ORG_HEADER);
    const conversationId = h(CHAT_CONVERSATION_HEADER);
    if (!orgId || !conversationId) return new Response('Missing caller', { status: 400 });
    const attachment = this.attachmentOf(h, orgId);
    if (!attachment) return new Response('Missing caller', { status: 400 });
    // The Worker names this object after the conversation it checked; refuse anything else.
    if (this.ctx.id.name !== undefined && this.ctx.id.name !== conversationId) {
      return new Response('Wrong conversation', { status: 403 });
    }
    if (!this.claimTenant(orgId, conversationId)) return new Response('Wrong organization', { status: 403 });
    const since = parseSince(new URL(request.url).searchParams.get('since'));
    if (since === undefined) return new Response('Bad since', { status: 400 });
    const kind = isVisitorSocket(attachment) ? VISITOR_TAG : CREDENTIAL_TAG;
    // Recorded before the socket is accepted, so a revocation (or a change to the bot) always finds
    // this conversation; the first socket of its kind writes the row, which stays while any is open.
    try {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.ctx.getWebSockets(kind).some((ws) => ws.readyState === WebSocket.OPEN)) return;
        const [{ markConnected }, { createDb }] = await Promise.all([
          import('@flowspark/chat'),
          import('@flowspark/db'),
        ]);
        await markConnected(createDb(this.env.DB), orgId, conversationId, kind);
      });
    } catch (err) {
      logger.warn('chat socket not registered', { conversation_id: conversationId, ...describeError(err) });
      return new Response('Unavailable', { status: 503 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    const tags = [kind];
    if (isVisitorSocket(attachment)) {
      tags.push(`vis:${attachment.vis}`);
    } else {
      tags.push(userTag(attachment.usr));
      if (attachment.ses) tags.push(sessionTag(attachment.ses));
      if (attachment.key) tags.push(apiKeyTag(attachment.key));
    }
    this.ctx.acceptWebSocket(server, tags);
    server.serializeAttachment(attachment);
    // `ready` and the replay before anything live: live events wait in the log meanwhile.
    this.ctx.waitUntil(this.catchUp(server, since, 'ready'));
    this.ctx.waitUntil(isVisitorSocket(attachment) ? this.verifyVisitor(server) : this.verifySocket(server));
    const protocol = h(CHAT_PROTOCOL_HEADER);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: protocol ? { 'Sec-WebSocket-Protocol': protocol } : {},
    });
  }

  /** Messages stored over REST (they were not generated here): events for every socket. */
  announce(stored: { seq: number; message: ChatMessageView }[]): void {
    for (const { seq, message } of stored) this.appendStored(seq, message);
    this.prune();
  }

  /** The conversation was deleted: every socket closes (4404), and what this object kept goes. */
  async end(): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) if (closeSocket(ws, CHAT_CLOSE_GONE)) closed += 1;
    this.busy?.abort();
    // Its registration went with the conversation (foreign key); nothing else is kept for it.
    for (const table of ['tickets', 'meta', 'events', 'visitor_sends']) this.sql.exec(`DELETE FROM ${table}`);
    this.lastId = 0;
    return closed;
  }

  /**
   * Closes at once every socket opened by these sessions or API keys (4401) or by these users (4403),
   * found by their tags; a conversation left with no credentialed socket is unregistered.
   */
  async closeConnections(who: ConnectionOwners): Promise<number> {
    const closing = new Map<WebSocket, ChatCloseReason>();
    const collect = (ids: string[] | undefined, tag: (id: string) => string, why: ChatCloseReason) => {
      for (const id of ids ?? []) {
        for (const ws of this.ctx.getWebSockets(tag(id))) if (!closing.has(ws)) closing.set(ws, why);
      }
    };
    collect(who.userIds, userTag, CHAT_CLOSE_MEMBERSHIP_ENDED);
    collect(who.sessionIds, sessionTag, CHAT_CLOSE_REVOKED);
    collect(who.apiKeyIds, apiKeyTag, CHAT_CLOSE_REVOKED);
    let closed = 0;
    for (const [ws, why] of closing) if (closeSocket(ws, why)) closed += 1;
    await this.unregisterIfIdle(CREDENTIAL_TAG);
    return closed;
  }

  /** The bot no longer admits visitors (made private, re-keyed, an origin dropped): their sockets close. */
  async closeVisitors(reason: VisitorCloseReason): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(VISITOR_TAG)) if (closeSocket(ws, chatCloseVisitor(reason))) closed += 1;
    await this.unregisterIfIdle(VISITOR_TAG);
    return closed;
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    try {
      await this.onFrame(ws, raw);
    } catch (err) {
      // A frame never takes the session down: its sender is told, the sockets stay open.
      logger.warn('chat frame failed', describeError(err));
      this.sendError(ws, errorOf(err));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.catchingUp.delete(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
    // A socket that leaves does not stop the reply: it completes, is stored and stays in the log.
    await this.unregisterIfIdle(this.kindOf(ws), ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.catchingUp.delete(ws);
    closeSocket(ws, { code: 1011, reason: 'WebSocket error' });
    await this.unregisterIfIdle(this.kindOf(ws), ws);
  }

  private attachmentOf(h: (name: string) => string | null, orgId: string): SocketAttachment | null {
    let buckets: ChatGateBucket[];
    try {
      const parsed: unknown = JSON.parse(h(CHAT_BUCKETS_HEADER) ?? '[]');
      if (!Array.isArray(parsed)) return null;
      buckets = parsed as ChatGateBucket[];
    } catch {
      return null;
    }
    const visitor = h(CHAT_VISITOR_HEADER);
    if (visitor !== null) {
      const bot = h(CHAT_BOT_HEADER);
      const limit = Number(h(CHAT_VISITOR_LIMIT_HEADER));
      if (!VISITOR_ID.test(visitor) || !bot || !BOT_ID.test(bot)) return null;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_VISITOR_LIMIT) return null;
      return { k: 'v', org: orgId, vis: visitor, bot, pk: h(CHAT_BOT_KEY_HEADER), lim: limit, b: buckets };
    }
    const userId = h(CHAT_USER_HEADER);
    const role = h(CHAT_ROLE_HEADER);
    if (!userId || !isRole(role)) return null;
    const issuedAt = Number(h(CHAT_ISSUED_AT_HEADER));
    return {
      k: 'u',
      org: orgId,
      usr: userId,
      role,
      ses: h(CHAT_SESSION_HEADER),
      key: h(CHAT_API_KEY_HEADER),
      w: h(CHAT_WRITE_HEADER) === '1',
      b: buckets,
      iat: Number.isSafeInteger(issuedAt) && issuedAt > 0 ? issuedAt : null,
    };
  }

  private kindOf(ws: WebSocket): string {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    return attachment && isVisitorSocket(attachment) ? VISITOR_TAG : CREDENTIAL_TAG;
  }

  private async onFrame(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const text = typeof raw === 'string' ? raw : '';
    if (text.length === 0 || text.length > MAX_CLIENT_FRAME_CHARS) {
      this.sendError(ws, { code: 'VALIDATION_ERROR', message: 'Frames are JSON text of at most 20,000 characters' });
      return;
    }
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      frame = parsed as Record<string, unknown>;
    } catch {
      this.sendError(ws, { code: 'VALIDATION_ERROR', message: 'Frames must be JSON objects' });
      return;
    }
    const allowed = typeof frame.type === 'string' ? FRAME_FIELDS[frame.type] : undefined;
    if (!allowed) {
      this.sendError(ws, {
        code: 'VALIDATION_ERROR',
        message: 'Unknown type; expected "message", "stop", "resume" or "ping"',
      });
      return;
    }
    const extra = Object.keys(frame).filter((key) => !allowed.includes(key));
    if (extra.length > 0) {
      this.sendError(ws, {
        code: 'VALIDATION_ERROR',
        message: `Unknown field(s): ${extra.join(', ')}`,
        details: { fields: Object.fromEntries(extra.map((key) => [key, ['Unknown field']])) },
      });
      return;
    }
    if (frame.type === 'ping') {
      this.sendDirect(ws, PONG);
    } else if (frame.type === 'resume') {
      const since = parseSince(frame.since);
      if (since === undefined) {
        this.sendError(ws, {
          code: 'VALIDATION_ERROR',
          message: '"since" must be an event id (an integer from 0), a message id of this conversation, or null',
          details: { fields: { since: ['Invalid event id'] } },
        });
        return;
      }
      await this.catchUp(ws, since, 'resumed');
    } else if (frame.type === 'stop') {
      this.onStop(ws);
    } else {
      await this.onUserMessage(ws, frame.content);
    }
  }

  /** The first tenant to connect owns this object; another one is refused (the Worker never sends one). */
  private claimTenant(orgId: string, conversationId: string): boolean {
    const org = this.getMeta('org');
    if (org !== null) return org === orgId;
    this.setMeta('org', orgId);
    this.setMeta('conversation', conversationId);
    return true;
  }

  private conversationId(): string {
    return this.getMeta('conversation') ?? this.ctx.id.name ?? '';
  }

  private getMeta(key: string): string | null {
    const [row] = this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray();
    return row?.value ?? null;
  }

  private setMeta(key: string, value: string | number | null): void {
    if (value === null) this.sql.exec('DELETE FROM meta WHERE key = ?', key);
    else this.sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, String(value));
  }

  private metaNumber(key: string): number {
    return Number(this.getMeta(key) ?? 0);
  }

  /** Removes this kind's registration once no open socket of that kind is left (`leaving` is closing). */
  private async unregisterIfIdle(kind: string, leaving?: WebSocket): Promise<void> {
    await this.ctx.blockConcurrencyWhile(async () => {
      const open = this.ctx.getWebSockets(kind).filter((s) => s !== leaving && s.readyState === WebSocket.OPEN);
      if (open.length > 0) return;
      const org = this.getMeta('org');
      if (!org) return;
      try {
        const [{ markDisconnected }, { createDb }] = await Promise.all([
          import('@flowspark/chat'),
          import('@flowspark/db'),
        ]);
        await markDisconnected(
          createDb(this.env.DB),
          org,
          this.conversationId(),
          kind === VISITOR_TAG ? 'visitor' : 'credential',
        );
      } catch (err) {
        // A row left behind only costs a revocation one call here, which retries this.
        logger.warn('chat socket registration not removed', describeError(err));
      }
    });
  }

  // The event log.

  private lastEventId(): number {
    if (this.lastId === null) {
      const [row] = this.sql.exec<{ id: number | null }>('SELECT max(id) AS id FROM events').toArray();
      this.lastId = Math.max(row?.id ?? 0, this.metaNumber('last_id'));
    }
    return this.lastId;
  }

  /**
   * Writes an event to the log and sends it to every socket (those catching up get it from the log
   * with their replay). `storedId` (a stored message's id) is logged once: null when it already was.
   */
  private append(event: EventBody, storedId: string | null = null): number | null {
    if (storedId !== null) {
      const [seen] = this.sql.exec('SELECT 1 FROM events WHERE stored_id = ?', storedId).toArray();
      if (seen) return null;
    }
    const id = this.lastEventId() + 1;
    const { type, ...fields } = event;
    const frame = JSON.stringify({ type, event_id: id, ...fields });
    this.sql.exec('INSERT INTO events (id, type, stored_id, frame) VALUES (?, ?, ?, ?)', id, type, storedId, frame);
    this.lastId = id;
    for (const ws of this.ctx.getWebSockets()) {
      if (this.catchingUp.has(ws)) continue;
      try {
        ws.send(frame);
      } catch {
        // A closing socket misses it; it resumes from its last event when it reconnects.
      }
    }
    return id;
  }

  /** A stored message (from this object's reply, a REST reply, or D1): once in the log. */
  private appendStored(seq: number, message: ChatMessageView): void {
    this.append({ type: 'message', message }, message.id);
    if (seq > this.metaNumber('synced_seq')) this.setMeta('synced_seq', seq);
  }

  /**
   * Keeps the log bounded (between replies, never the current one): the events of the last
   * KEEP_REPLY_EVENTS replies, and of the last MAX_LOG_MESSAGES stored messages. A resume from before
   * a dropped stored message is `truncated` (`gap`: the greatest dropped one).
   */
  private prune(): void {
    if (this.reply) return;
    const [reply] = this.sql
      .exec<{ id: number }>(
        "SELECT id FROM events WHERE type = 'user_message' ORDER BY id DESC LIMIT 1 OFFSET ?",
        KEEP_REPLY_EVENTS - 1,
      )
      .toArray();
    if (reply) this.sql.exec("DELETE FROM events WHERE type != 'message' AND id < ?", reply.id);
    const [oldest] = this.sql
      .exec<{ id: number }>(
        "SELECT id FROM events WHERE type = 'message' ORDER BY id DESC LIMIT 1 OFFSET ?",
        MAX_LOG_MESSAGES - 1,
      )
      .toArray();
    if (!oldest) return;
    const [dropped] = this.sql
      .exec<{ id: number | null }>("SELECT max(id) AS id FROM events WHERE type = 'message' AND id < ?", oldest.id)
      .toArray();
    if (dropped?.id) {
      this.setMeta('gap', Math.max(this.metaNumber('gap'), dropped.id));
      this.sql.exec('DELETE FROM events WHERE id < ?', oldest.id);
    }
    // The counter outlives the rows (an id is never given twice).
    this.setMeta('last_id', this.lastEventId());
  }

  /**
   * Catches the log up with D1: messages stored while no socket was open (REST replies are announced
   * to open sockets), at most MAX_LOG_MESSAGES of them.
   */
  private async syncStored(): Promise<void> {
    const org = this.getMeta('org');
    if (!org) return;
    const [{ messagesAfterSeq }, { createDb }, { presentMessage }] = await Promise.all([
      import('@flowspark/chat'),
      import('@flowspark/db'),
      import('../lib/chat'),
    ]);
    const found = await messagesAfterSeq(
      createDb(this.env.DB),
      org,
      this.conversationId(),
      this.metaNumber('synced_seq'),
      MAX_LOG_MESSAGES,
    );
    // Some were not read: whoever was before them missed them.
    if (found.truncated) this.setMeta('gap', Math.max(this.metaNumber('gap'), this.lastEventId() + 1));
    for (const row of found.messages) this.appendStored(row.seq, presentMessage(row));
    if (found.messages.length > 0) this.prune();
  }

  /** Where a replay starts, and whether the log still holds every stored message after it. */
  private positionOf(since: Since): { after: number; truncated: boolean } {
    const last = this.lastEventId();
    const gap = this.metaNumber('gap');
    if (since === null) return { after: this.reply ? this.reply.firstEventId - 1 : last, truncated: false };
    if (typeof since === 'string') {
      const [row] = this.sql
        .exec<{ id: number }>("SELECT id FROM events WHERE type = 'message' AND stored_id = ?", since)
        .toArray();
      // Not a message the log knows (too old, or not of this conversation): everything it keeps.
      if (!row) return { after: 0, truncated: true };
      return { after: row.id, truncated: row.id < gap };
    }
    // An id the log never gave (its storage was reset): from now.
    if (since > last) return { after: last, truncated: true };
    return { after: since, truncated: since < gap };
  }

  /**
   * Sends `ready`/`resumed`, then the events after `since` from the log, then live ones: frames for this
   * socket alone wait until then, and live events reach it through the log, so there is no gap and no
   * duplicate. The log first catches up with D1.
   */
  private async catchUp(ws: WebSocket, since: Since, type: ReadyFrame['type']): Promise<void> {
    const entry = this.catchingUp.get(ws) ?? { waiting: [], pending: 0 };
    entry.pending += 1;
    this.catchingUp.set(ws, entry);
    try {
      await this.syncStored();
    } catch (err) {
      // The log still has everything this object saw; only replies stored elsewhere may be missing.
      logger.warn('chat log not caught up with D1', describeError(err));
    }
    // From here to the end nothing awaits: no event can come between the replay and live ones.
    entry.pending -= 1;
    if (entry.pending === 0) this.catchingUp.delete(ws);
    if (ws.readyState !== WebSocket.OPEN) return;
    const { after, truncated } = this.positionOf(since);
    const replay = this.sql
      .exec<{ frame: string }>('SELECT frame FROM events WHERE id > ? ORDER BY id', after)
      .toArray();
    const ready: ReadyFrame = {
      type,
      conversation_id: this.conversationId(),
      last_event_id: after,
      replayed: replay.length,
      truncated,
      generating: this.reply !== null,
    };
    try {
      ws.send(JSON.stringify(ready));
      for (const row of replay) ws.send(row.frame);
      if (entry.pending === 0) for (const frame of entry.waiting.splice(0)) ws.send(frame);
    } catch {
      // Closed meanwhile.
    }
  }

  /** A frame for this socket alone (after its `ready` when it is catching up). */
  private sendDirect(ws: WebSocket, frame: string): void {
    const entry = this.catchingUp.get(ws);
    if (entry) {
      entry.waiting.push(frame);
      return;
    }
    try {
      ws.send(frame);
    } catch {
      // Closing.
    }
  }

  private sendError(ws: WebSocket, error: Omit<ErrorFrame, 'type'>): void {
    this.sendDirect(ws, JSON.stringify({ type: 'error', ...error }));
  }

  // Messages and replies.

  private onStop(ws: WebSocket): void {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    if (!attachment || (!isVisitorSocket(attachment) && !attachment.w)) {
      this.sendError(ws, {
        code: 'INSUFFICIENT_SCOPE',
        message: 'Stopping a reply needs the chat:write permission',
        details: { required_scope: 'chat:write' },
      });
      return;
    }
    if (!this.busy) {
      this.sendError(ws, { code: 'CONFLICT', message: 'No reply is being generated' });
      return;
    }
    this.busy.abort();
  }

  private async onUserMessage(ws: WebSocket, content: unknown): Promise<void> {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    if (!attachment) {
      closeSocket(ws, CHAT_CLOSE_REVOKED);
      return;
    }
    const { MAX_MESSAGE_CHARS } = await import('@flowspark/chat');
    const text = typeof content === 'string' ? content.trim() : '';
    if (!text || text.length > MAX_MESSAGE_CHARS) {
      this.sendError(ws, {
        code: 'VALIDATION_ERROR',
        message: `"content" must be text of 1 to ${MAX_MESSAGE_CHARS} characters`,
        details: { fields: { content: ['Invalid content'] } },
      });
      return;
    }
    if (!isVisitorSocket(attachment) && !attachment.w) {
      this.sendError(ws, {
        code: 'INSUFFICIENT_SCOPE',
        message: 'Sending messages needs the chat:write permission',
        details: { required_scope: 'chat:write' },
      });
      return;
    }
    if (this.busy) {
      this.sendError(ws, { code: 'CONFLICT', message: 'The bot is still replying; send when the reply is complete' });
      return;
    }
    const controller = new AbortController();
    this.busy = controller;
    try {
      if (await this.admit(ws, attachment)) await this.generate(ws, attachment, text, controller);
    } finally {
      this.busy = null;
      this.reply = null;
      this.setMeta('reply', null);
      this.prune();
    }
  }

  /**
   * Before any AI cost: a visitor's hourly limit (counted here), then the tenant gate (rate limit, and
   * for a user's socket revocation). An admitted visitor message is counted.
   */
  private async admit(ws: WebSocket, who: SocketAttachment): Promise<boolean> {
    const now = Date.now();
    if (isVisitorSocket(who)) {
      this.sql.exec('DELETE FROM visitor_sends WHERE at <= ?', now - HOUR_MS);
      const sent = this.sql
        .exec<{ at: number }>('SELECT at FROM visitor_sends WHERE visitor = ? ORDER BY at', who.vis)
        .toArray();
      if (sent.length >= who.lim) {
        // A message is admitted again once enough of the last hour's have aged out.
        const frees = sent[sent.length - who.lim]!.at + HOUR_MS;
        const retryAfter = Math.max(1, Math.ceil((frees - now) / 1000));
        this.sendError(ws, {
          code: 'RATE_LIMITED',
          message: `At most ${who.lim} messages an hour; try again in ${retryAfter} s`,
          retry_after: retryAfter,
          details: { limit_per_hour: who.lim, retry_after_seconds: retryAfter },
        });
        return false;
      }
    }
    const visitor = isVisitorSocket(who);
    const verdict = await this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(who.org)).admit({
      buckets: who.b,
      sessionId: visitor ? null : who.ses,
      apiKeyId: visitor ? null : who.key,
      userId: visitor ? null : who.usr,
      issuedAt: visitor ? null : who.iat,
    });
    if (verdict.revoked) {
      closeSocket(ws, CHAT_CLOSE_REVOKED);
      return false;
    }
    if (!verdict.allowed) {
      this.sendError(ws, {
        code: 'RATE_LIMITED',
        message: 'Too many requests; slow down',
        retry_after: verdict.retryAfterSeconds,
        details: { retry_after_seconds: verdict.retryAfterSeconds },
      });
      return false;
    }
    if (visitor) this.sql.exec('INSERT INTO visitor_sends (visitor, at) VALUES (?, ?)', who.vis, now);
    return true;
  }

  /** Generates the reply for every socket; `controller` aborts it (a stop). */
  private async generate(
    ws: WebSocket,
    who: SocketAttachment,
    content: string,
    controller: AbortController,
  ): Promise<void> {
    const [{ prepareReply, streamReply }, { chatPorts, presentMessage }] = await Promise.all([
      import('@flowspark/chat'),
      import('../lib/chat'),
    ]);
    // No sessions port: this object is the conversation's session and tells its sockets itself.
    const { sessions: _sessions, ...ports } = chatPorts(this.env, undefined, {
      orgId: who.org,
      userId: isVisitorSocket(who) ? null : who.usr,
      conversationId: this.conversationId(),
    });
    const participant: ChatParticipant = isVisitorSocket(who)
      ? { orgId: who.org, visitorId: who.vis, botId: who.bot, ...(who.pk ? { publicKey: who.pk } : {}) }
      : { orgId: who.org, userId: who.usr, role: who.role };
    let prepared: Awaited<ReturnType<typeof prepareReply>>;
    try {
      prepared = await prepareReply(ports, participant, this.conversationId(), content);
    } catch (err) {
      if (isAppError(err) && err.code === 'NOT_FOUND') {
        this.sendError(ws, { code: 'NOT_FOUND', message: 'Conversation not found' });
        closeSocket(ws, CHAT_CLOSE_GONE);
        return;
      }
      if (isAppError(err) && err.code === 'FORBIDDEN' && isVisitorSocket(who)) {
        this.sendError(ws, { code: 'FORBIDDEN', message: err.message });
        closeSocket(ws, chatCloseVisitor('bot unavailable'));
        return;
      }
      logger.warn('chat reply not prepared', describeError(err));
      this.sendError(ws, errorOf(err));
      return;
    }
    const user: ChatMessageView = {
      id: prepared.user.id,
      conversation_id: prepared.conversation.id,
      role: 'user',
      content,
      citations: [],
      usage: null,
      model: null,
      latency_ms: null,
      stopped: false,
      created_at: prepared.user.createdAt,
    };
    const ids = { userId: user.id, assistantId: prepared.assistantId };
    // Recorded first: should the object stop mid-reply, the next one to start says it failed.
    this.setMeta('reply', JSON.stringify(ids));
    const firstEventId = this.append({ type: 'user_message', message: user })!;
    this.reply = { ...ids, firstEventId, controller };
    try {
      for await (const event of streamReply(ports, prepared, { signal: controller.signal })) {
        if (event.type === 'token') {
          this.append({ type: 'token', reply_to: user.id, message_id: prepared.assistantId, text: event.text });
        } else {
          for (const row of [event.exchange.user, event.exchange.assistant]) {
            this.appendStored(row.seq, presentMessage(row));
          }
        }
      }
    } catch (err) {
      logger.warn('chat reply failed', { conversation_id: prepared.conversation.id, ...describeError(err) });
      // Nothing was stored: the user message above is dropped with its reply.
      const failed: Omit<FailedEvent, 'event_id'> = {
        type: 'failed',
        reply_to: user.id,
        message_id: prepared.assistantId,
        ...errorOf(err),
      };
      this.append(failed);
    }
  }

  /** Closes the socket when its credential no longer holds (see JobFeed for the same check). */
  private async verifySocket(ws: WebSocket): Promise<void> {
    const owner = ws.deserializeAttachment() as SocketAttachment | null;
    if (!owner || isVisitorSocket(owner)) {
      closeSocket(ws, CHAT_CLOSE_REVOKED);
      return;
    }
    try {
      const { createDb, findLiveCredentials } = await import('@flowspark/db');
      const live = await findLiveCredentials(
        createDb(this.env.DB),
        new Map([
          [
            owner.org,
            { users: [owner.usr], sessions: owner.ses ? [owner.ses] : [], apiKeys: owner.key ? [owner.key] : [] },
          ],
        ]),
      );
      if (ws.readyState !== WebSocket.OPEN) return;
      if (!live.holds(owner.org, 'usr', owner.usr, owner.usr)) closeSocket(ws, CHAT_CLOSE_MEMBERSHIP_ENDED);
      else if (
        (owner.ses && !live.holds(owner.org, 'ses', owner.ses, owner.usr)) ||
        (owner.key && !live.holds(owner.org, 'key', owner.key, owner.usr))
      ) {
        closeSocket(ws, CHAT_CLOSE_REVOKED);
      }
    } catch (err) {
      logger.warn('chat socket not verified', describeError(err));
      closeSocket(ws, CHAT_CLOSE_UNVERIFIED);
    }
  }

  /**
   * Closes a visitor's socket when, by the time it was accepted, the bot no longer admitted them (made
   * private or re-keyed while it connected), or the conversation is not theirs with that bot.
   */
  private async verifyVisitor(ws: WebSocket): Promise<void> {
    const owner = ws.deserializeAttachment() as SocketAttachment | null;
    if (!owner || !isVisitorSocket(owner)) return;
    try {
      const [{ getBot, getConversation }, { createDb }] = await Promise.all([
        import('@flowspark/chat'),
        import('@flowspark/db'),
      ]);
      const db = createDb(this.env.DB);
      const visitor = { orgId: owner.org, visitorId: owner.vis, botId: owner.bot };
      const [bot, conversation] = await Promise.all([
        getBot(db, owner.org, owner.bot),
        getConversation(db, visitor, this.conversationId()),
      ]);
      if (ws.readyState !== WebSocket.OPEN) return;
      if (!conversation || !bot) closeSocket(ws, CHAT_CLOSE_GONE);
      else if (bot.configuration.visibility !== 'public') closeSocket(ws, chatCloseVisitor('bot made private'));
      else if (owner.pk !== null && owner.pk !== bot.publicKey) closeSocket(ws, chatCloseVisitor('bot key rotated'));
    } catch (err) {
      logger.warn('chat visitor socket not verified', describeError(err));
      closeSocket(ws, CHAT_CLOSE_UNVERIFIED);
    }
  }
}

const errorOf = (err: unknown): Omit<ErrorFrame, 'type'> =>
  isAppError(err)
    ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
    : { code: 'INTERNAL_ERROR', message: 'Internal server error' };

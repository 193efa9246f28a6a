import { DurableObject } from 'cloudflare:workers';
import { type Actor, describeError, isAppError, isRole, logger, type Role } from '@flowspark/core';
import type { ConnectionOwners } from '@flowspark/identity';
import type { Env } from '../env';
import type { MessageView } from '../lib/chat';
import type { BucketRequest } from './rate-limiter';

/**
 * One instance per conversation (`idFromName(conversationId)`): the conversation's live session.
 * Every socket on the conversation (two tabs, a colleague watching) receives each new user message,
 * the reply's tokens as they are generated, and the stored messages once the reply is complete.
 * Messages go to D1 exactly as over REST (packages/chat: both together, when the reply is complete);
 * this object keeps no history of its own, only the reply it is generating, in memory.
 *
 * Sockets use the Hibernation API: the object can be evicted between messages without closing them;
 * what a socket needs is its attachment (its caller, their role and whether they may write, and the
 * tenant gate's buckets it is counted against), a few hundred bytes.
 *
 * Only the Worker talks to this object: it authenticates the caller and checks that they may see the
 * conversation, then forwards the upgrade with who they are in headers it sets itself.
 *
 * A socket lives no longer than the credential that opened it: each message is admitted by the tenant
 * gate (rate limit and revocation) before anything is generated; a revocation closes the sockets of
 * the credential at once (`closeConnections`, found through the `chat_connections` rows this object
 * keeps while credentialed sockets are open); and a new socket is checked against D1 right after it
 * is accepted, which closes the race with a revocation running while it connected.
 */
export const CHAT_ORG_HEADER = 'x-flowspark-chat-org';
export const CHAT_CONVERSATION_HEADER = 'x-flowspark-chat-conversation';
export const CHAT_USER_HEADER = 'x-flowspark-chat-user';
export const CHAT_ROLE_HEADER = 'x-flowspark-chat-role';
export const CHAT_SESSION_HEADER = 'x-flowspark-chat-session';
export const CHAT_API_KEY_HEADER = 'x-flowspark-chat-api-key';
/** `1` when the caller may send messages (chat:write). */
export const CHAT_WRITE_HEADER = 'x-flowspark-chat-write';
/** The tenant gate's buckets (JSON) and the time the credential is known valid from (seconds). */
export const CHAT_BUCKETS_HEADER = 'x-flowspark-chat-buckets';
export const CHAT_ISSUED_AT_HEADER = 'x-flowspark-chat-issued-at';
/** The subprotocol the client offered and the Worker accepted; echoed in the 101 response. */
export const CHAT_PROTOCOL_HEADER = 'x-flowspark-chat-protocol';

/** A client frame: `{"type":"message","content":"…"}` at most 4,000 characters, or a control frame. */
const MAX_CLIENT_FRAME_CHARS = 20_000;
/** Messages a reconnecting socket is sent at most; more means `truncated` (read them over REST). */
export const MAX_REPLAY_MESSAGES = 100;

/** Who a chat ticket was issued to; the Worker re-checks it with the tenant gate on use. */
export type ChatTicketGrant = Pick<Actor, 'orgId' | 'userId' | 'role' | 'sessionId' | 'apiKeyId'> &
  Partial<Pick<Actor, 'apiKeyRateLimitPerMinute'>> & {
    conversationId: string;
    plan: string;
    /** Seconds since the epoch. */
    issuedAt: number;
    canWrite: boolean;
  };

interface SocketAttachment {
  org: string;
  usr: string;
  role: Role;
  ses: string | null;
  key: string | null;
  /** May send messages. */
  w: boolean;
  /** The gate's buckets each message is counted against. */
  b: BucketRequest[];
  iat: number | null;
}

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

const userTag = (id: string) => `usr:${id}`;
const sessionTag = (id: string) => `ses:${id}`;
const apiKeyTag = (id: string) => `key:${id}`;

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

/** A frame waiting for a socket that is catching up; `message` frames name their message. */
interface Queued {
  frame: string;
  messageId?: string;
}

interface ReplyInFlight {
  user: MessageView;
  text: string;
}

type ErrorFrame = { type: 'error'; code: string; message: string; details?: Record<string, unknown> };

export class ChatSession extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Sockets being sent what they missed: live frames wait here until that is done. */
  private readonly catchingUp = new Map<WebSocket, Queued[]>();
  /** The reply being generated (one at a time per conversation). */
  private reply: ReplyInFlight | null = null;
  private busy = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, claims TEXT NOT NULL, expires INTEGER NOT NULL);
    `);
    // Answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Stores a ticket's hash for `ttlSeconds`. */
  issueTicket(hash: string, grant: ChatTicketGrant, ttlSeconds: number): void {
    const now = Date.now();
    this.sql.exec('DELETE FROM tickets WHERE expires < ?', now);
    this.sql.exec(
      'INSERT INTO tickets (hash, claims, expires) VALUES (?, ?, ?)',
      hash,
      JSON.stringify(grant),
      now + ttlSeconds * 1000,
    );
  }

  /** Consumes a ticket: it works once, and not after it expired. */
  redeemTicket(hash: string): ChatTicketGrant | null {
    const [row] = this.sql
      .exec<{ claims: string; expires: number }>('DELETE FROM tickets WHERE hash = ? RETURNING claims, expires', hash)
      .toArray();
    if (!row || row.expires < Date.now()) return null;
    return JSON.parse(row.claims) as ChatTicketGrant;
  }

  /** The WebSocket upgrade, forwarded by the Worker after authentication. `?since=<message id>` replays first. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const h = (name: string) => request.headers.get(name) || null;
    const orgId = h(CHAT_ORG_HEADER);
    const conversationId = h(CHAT_CONVERSATION_HEADER);
    const userId = h(CHAT_USER_HEADER);
    const role = h(CHAT_ROLE_HEADER);
    if (!orgId || !conversationId || !userId || !isRole(role)) return new Response('Missing caller', { status: 400 });
    // The Worker names this object after the conversation it checked; refuse anything else.
    if (this.ctx.id.name !== undefined && this.ctx.id.name !== conversationId) {
      return new Response('Wrong conversation', { status: 403 });
    }
    if (!this.claimTenant(orgId, conversationId)) return new Response('Wrong organization', { status: 403 });
    const since = new URL(request.url).searchParams.get('since');
    if (since !== null && !MESSAGE_ID.test(since)) return new Response('Bad since', { status: 400 });
    let buckets: BucketRequest[];
    try {
      buckets = JSON.parse(h(CHAT_BUCKETS_HEADER) ?? '[]') as BucketRequest[];
    } catch {
      return new Response('Bad buckets', { status: 400 });
    }
    const issuedAt = Number(h(CHAT_ISSUED_AT_HEADER));
    const attachment: SocketAttachment = {
      org: orgId,
      usr: userId,
      role,
      ses: h(CHAT_SESSION_HEADER),
      key: h(CHAT_API_KEY_HEADER),
      w: h(CHAT_WRITE_HEADER) === '1',
      b: buckets,
      iat: Number.isSafeInteger(issuedAt) && issuedAt > 0 ? issuedAt : null,
    };
    // Recorded before the socket is accepted, so a revocation always finds this conversation; the
    // first socket writes the row, which stays while any is open (`unregisterIfIdle`).
    try {
      await this.ctx.blockConcurrencyWhile(async () => {
        if (this.ctx.getWebSockets().some((ws) => ws.readyState === WebSocket.OPEN)) return;
        const [{ markConnected }, { createDb }] = await Promise.all([
          import('@flowspark/chat'),
          import('@flowspark/db'),
        ]);
        await markConnected(createDb(this.env.DB), orgId, conversationId);
      });
    } catch (err) {
      logger.warn('chat socket not registered', { conversation_id: conversationId, ...describeError(err) });
      return new Response('Unavailable', { status: 503 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    const tags = [userTag(userId)];
    if (attachment.ses) tags.push(sessionTag(attachment.ses));
    if (attachment.key) tags.push(apiKeyTag(attachment.key));
    this.ctx.acceptWebSocket(server, tags);
    server.serializeAttachment(attachment);
    // Caught up before it receives anything live: live frames wait until the replay was sent.
    this.ctx.waitUntil(this.catchUp(server, since, 'ready'));
    this.ctx.waitUntil(this.verifySocket(server));
    const protocol = h(CHAT_PROTOCOL_HEADER);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: protocol ? { 'Sec-WebSocket-Protocol': protocol } : {},
    });
  }

  /** Stored messages of a REST reply, for the sockets here (they did not see it generated). */
  announce(messages: MessageView[]): void {
    for (const message of messages) this.broadcast({ type: 'message', message }, message.id);
  }

  /** The conversation was deleted: every socket closes (4404), and its registration goes. */
  async end(): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) if (closeSocket(ws, CHAT_CLOSE_GONE)) closed += 1;
    // Its registration went with the conversation (foreign key); nothing else is kept for it.
    this.sql.exec('DELETE FROM tickets');
    this.sql.exec('DELETE FROM meta');
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
    await this.unregisterIfIdle();
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
    const extra = Object.keys(frame).filter((key) => !['type', 'content', 'since'].includes(key));
    if (extra.length > 0) {
      this.sendError(ws, {
        code: 'VALIDATION_ERROR',
        message: `Unknown field(s): ${extra.join(', ')}`,
        details: { fields: Object.fromEntries(extra.map((key) => [key, ['Unknown field']])) },
      });
      return;
    }
    if (frame.type === 'ping') {
      ws.send(PONG);
    } else if (frame.type === 'resume') {
      const since = frame.since ?? null;
      if (since !== null && (typeof since !== 'string' || !MESSAGE_ID.test(since))) {
        this.sendError(ws, {
          code: 'VALIDATION_ERROR',
          message: '"since" must be a message id of this conversation, or null',
          details: { fields: { since: ['Invalid id'] } },
        });
        return;
      }
      await this.catchUp(ws, since, 'resumed');
    } else if (frame.type === 'message') {
      await this.onUserMessage(ws, frame.content);
    } else {
      this.sendError(ws, { code: 'VALIDATION_ERROR', message: 'Unknown type; expected "message", "resume" or "ping"' });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.catchingUp.delete(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
    await this.unregisterIfIdle(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.catchingUp.delete(ws);
    closeSocket(ws, { code: 1011, reason: 'WebSocket error' });
    await this.unregisterIfIdle(ws);
  }

  /** The first tenant to connect owns this object; another one is refused (the Worker never sends one). */
  private claimTenant(orgId: string, conversationId: string): boolean {
    const [row] = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'org'").toArray();
    if (row) return row.value === orgId;
    this.sql.exec("INSERT INTO meta (key, value) VALUES ('org', ?), ('conversation', ?)", orgId, conversationId);
    return true;
  }

  private conversationId(): string {
    const [row] = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'conversation'").toArray();
    return row?.value ?? this.ctx.id.name ?? '';
  }

  /** Removes the conversation's registration once no open socket is left (`leaving` is closing). */
  private async unregisterIfIdle(leaving?: WebSocket): Promise<void> {
    await this.ctx.blockConcurrencyWhile(async () => {
      const open = this.ctx.getWebSockets().filter((s) => s !== leaving && s.readyState === WebSocket.OPEN);
      if (open.length > 0) return;
      const [row] = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'org'").toArray();
      if (!row) return;
      try {
        const [{ markDisconnected }, { createDb }] = await Promise.all([
          import('@flowspark/chat'),
          import('@flowspark/db'),
        ]);
        await markDisconnected(createDb(this.env.DB), row.value, this.conversationId());
      } catch (err) {
        // A row left behind only costs a revocation one call here, which retries this.
        logger.warn('chat socket registration not removed', describeError(err));
      }
    });
  }

  private send(ws: WebSocket, frame: string, messageId?: string): void {
    const queue = this.catchingUp.get(ws);
    if (queue) {
      queue.push({ frame, messageId });
      return;
    }
    try {
      ws.send(frame);
    } catch {
      // A closing socket misses it; it can resume from its last message when it reconnects.
    }
  }

  private broadcast(frame: Record<string, unknown>, messageId?: string): void {
    const text = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets()) this.send(ws, text, messageId);
  }

  private sendError(ws: WebSocket, error: Omit<ErrorFrame, 'type'>): void {
    this.send(ws, JSON.stringify({ type: 'error', ...error }));
  }

  /**
   * Sends the stored messages after `since` (none when null), then `ready`/`resumed`, then the reply
   * being generated so far and what arrived meanwhile: replay first, then live, without a gap and
   * without a stored message twice.
   */
  private async catchUp(ws: WebSocket, since: string | null, type: 'ready' | 'resumed'): Promise<void> {
    const queue: Queued[] = [];
    if (this.reply) {
      queue.push({ frame: JSON.stringify({ type: 'user_message', message: this.reply.user }) });
      if (this.reply.text) {
        queue.push({ frame: JSON.stringify({ type: 'token', reply_to: this.reply.user.id, text: this.reply.text }) });
      }
    }
    const earlier = this.catchingUp.get(ws);
    this.catchingUp.set(ws, earlier ? [...earlier, ...queue] : queue);
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    let replayed: MessageView[] = [];
    let truncated = false;
    let failure: Omit<ErrorFrame, 'type'> | null = null;
    if (since !== null && attachment) {
      try {
        const [{ messagesAfter }, { createDb }, { presentMessage }] = await Promise.all([
          import('@flowspark/chat'),
          import('@flowspark/db'),
          import('../lib/chat'),
        ]);
        const found = await messagesAfter(
          createDb(this.env.DB),
          attachment.org,
          this.conversationId(),
          since,
          MAX_REPLAY_MESSAGES,
        );
        replayed = found.messages.map(presentMessage);
        truncated = found.truncated;
      } catch (err) {
        failure = isAppError(err)
          ? { code: err.code, message: err.code === 'NOT_FOUND' ? 'No such message in this conversation' : err.message }
          : { code: 'SERVICE_UNAVAILABLE', message: 'Messages could not be read; resume again' };
      }
    }
    const waiting = this.catchingUp.get(ws) ?? [];
    this.catchingUp.delete(ws);
    if (ws.readyState !== WebSocket.OPEN) return;
    try {
      if (failure) {
        ws.send(JSON.stringify({ type: 'error', ...failure }));
      } else {
        for (const message of replayed) ws.send(JSON.stringify({ type: 'message', message }));
        ws.send(
          JSON.stringify({
            type,
            conversation_id: this.conversationId(),
            last_message_id: replayed.at(-1)?.id ?? since,
            replayed: replayed.length,
            truncated,
            generating: this.reply !== null,
          }),
        );
      }
      const sent = new Set(replayed.map((m) => m.id));
      for (const item of waiting) if (!item.messageId || !sent.has(item.messageId)) ws.send(item.frame);
    } catch {
      // Closed meanwhile.
    }
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
    if (!attachment.w) {
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
    this.busy = true;
    try {
      await this.generate(ws, attachment, text);
    } finally {
      this.busy = false;
      this.reply = null;
    }
  }

  /** Admits the message through the tenant gate, then generates the reply for every socket. */
  private async generate(ws: WebSocket, who: SocketAttachment, content: string): Promise<void> {
    const verdict = await this.env.RATE_LIMITER.get(this.env.RATE_LIMITER.idFromName(who.org)).admit({
      buckets: who.b,
      sessionId: who.ses,
      apiKeyId: who.key,
      userId: who.usr,
      issuedAt: who.iat,
    });
    if (verdict.revoked) {
      closeSocket(ws, CHAT_CLOSE_REVOKED);
      return;
    }
    if (!verdict.allowed) {
      this.sendError(ws, {
        code: 'RATE_LIMITED',
        message: 'Too many requests; slow down',
        details: { retry_after_seconds: verdict.retryAfterSeconds },
      });
      return;
    }
    const [{ prepareReply, streamReply }, { chatPorts, presentMessage }] = await Promise.all([
      import('@flowspark/chat'),
      import('../lib/chat'),
    ]);
    // No sessions port: this object is the conversation's session and tells its sockets itself.
    const { sessions: _sessions, ...ports } = chatPorts(this.env);
    const actor = { orgId: who.org, userId: who.usr, role: who.role };
    let prepared: Awaited<ReturnType<typeof prepareReply>>;
    try {
      prepared = await prepareReply(ports, actor, this.conversationId(), content);
    } catch (err) {
      if (isAppError(err) && err.code === 'NOT_FOUND') {
        this.sendError(ws, { code: 'NOT_FOUND', message: 'Conversation not found' });
        closeSocket(ws, CHAT_CLOSE_GONE);
        return;
      }
      logger.warn('chat reply not prepared', describeError(err));
      this.sendError(ws, errorOf(err));
      return;
    }
    const user: MessageView = {
      id: prepared.user.id,
      conversation_id: prepared.conversation.id,
      role: 'user',
      content,
      citations: [],
      usage: null,
      model: null,
      latency_ms: null,
      created_at: prepared.user.createdAt,
    };
    this.reply = { user, text: '' };
    this.broadcast({ type: 'user_message', message: user });
    try {
      for await (const event of streamReply(ports, prepared)) {
        if (event.type === 'token') {
          this.reply.text += event.text;
          this.broadcast({ type: 'token', reply_to: user.id, text: event.text });
        } else {
          for (const row of [event.exchange.user, event.exchange.assistant]) {
            this.broadcast({ type: 'message', message: presentMessage(row) }, row.id);
          }
        }
      }
    } catch (err) {
      logger.warn('chat reply failed', { conversation_id: prepared.conversation.id, ...describeError(err) });
      // Nothing was stored: the user message above is dropped with its reply.
      this.broadcast({ type: 'failed', reply_to: user.id, ...errorOf(err) });
    }
  }

  /** Closes the socket when its credential no longer holds (see JobFeed for the same check). */
  private async verifySocket(ws: WebSocket): Promise<void> {
    const owner = ws.deserializeAttachment() as SocketAttachment | null;
    if (!owner) {
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
}

const errorOf = (err: unknown): Omit<ErrorFrame, 'type'> =>
  isAppError(err)
    ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) }
    : { code: 'INTERNAL_ERROR', message: 'Internal server error' };

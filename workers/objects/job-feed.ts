import { DurableObject } from 'cloudflare:workers';
import { type Actor, describeError, logger } from '@flowspark/core';
import type { CredentialKind, LiveCredentials } from '@flowspark/db';
import type { ConnectionOwners } from '@flowspark/identity';
import type { FeedEventInput, JobEvent } from '@flowspark/jobs';
import type { Env } from '../env';
import { storeTicket, TICKETS_TABLE, takeTicket } from './tickets';

/**
 * One instance per tenant (`idFromName(orgId)`): the tenant's live job feed. Job events are stored
 * in the object's SQLite storage with an increasing id (the last 1,000, at most 24 h old) and sent to
 * every WebSocket of the tenant. Sockets use the Hibernation API: the object can be evicted between
 * events without closing them, so nothing lives only in memory; per-socket data is the socket's
 * attachment. The object also keeps the tenant's short-lived, single-use WebSocket tickets.
 *
 * Only the Worker talks to this object: it authenticates the caller, then forwards the upgrade with
 * the tenant, the user and the credential (session or API key) in headers it sets itself.
 *
 * A socket lives no longer than the credential that opened it. Each socket is tagged with its user,
 * session and API key, so a revocation closes the matching sockets at once (`closeConnections`, no
 * scan). A new socket is checked against D1 right after it is accepted, which closes the race with a
 * revocation running while it connected; and sockets that outlived an eviction are checked again, all
 * in one batched D1 query, before the woken object delivers anything to them.
 */
export const FEED_ORG_HEADER = 'x-flowspark-feed-org';
export const FEED_USER_HEADER = 'x-flowspark-feed-user';
export const FEED_SESSION_HEADER = 'x-flowspark-feed-session';
export const FEED_API_KEY_HEADER = 'x-flowspark-feed-api-key';
/** The subprotocol the client offered and the Worker accepted; echoed in the 101 response. */
export const FEED_PROTOCOL_HEADER = 'x-flowspark-feed-protocol';

export const MAX_FEED_EVENTS = 1000;
export const FEED_EVENT_TTL_MS = 24 * 3600 * 1000;
const MAX_CLIENT_MESSAGE_BYTES = 1024;

/**
 * Who a ticket was issued to; the Worker re-checks the session with the tenant gate on use. An API
 * key's own per-minute limit travels with it, so a ticket-opened socket is counted like the key.
 */
export type FeedTicketGrant = Pick<Actor, 'orgId' | 'userId' | 'sessionId' | 'apiKeyId'> &
  Partial<Pick<Actor, 'apiKeyRateLimitPerMinute'>> & {
    /** Stored with the ticket as issued; read back as a plan name. */
    plan: string;
    /** Seconds since the epoch: a user whose tokens were invalidated after this cannot use it. */
    issuedAt: number;
  };

interface SocketAttachment {
  org_id: string;
  user_id: string;
  /** The credential that opened the socket: a session (access token or its ticket) or an API key. */
  session_id: string | null;
  api_key_id: string | null;
  connected_at: number;
  /** The newest event id when the socket connected: later events reached it live. */
  hwm: number;
}

export interface FeedCloseReason {
  code: number;
  reason: string;
}

/** How the feed closes a socket whose credential ended; clients should not reconnect with it. */
export const FEED_CLOSE_REVOKED: FeedCloseReason = { code: 4401, reason: 'credentials revoked' };
export const FEED_CLOSE_MEMBERSHIP_ENDED: FeedCloseReason = { code: 4403, reason: 'membership ended' };
/** D1 could not be asked: reconnecting (with `?since`) re-authenticates and misses nothing. */
export const FEED_CLOSE_UNVERIFIED: FeedCloseReason = {
  code: 1013,
  reason: 'credentials could not be verified; reconnect',
};

const userTag = (id: string) => `usr:${id}`;
const sessionTag = (id: string) => `ses:${id}`;
const apiKeyTag = (id: string) => `key:${id}`;

/** False when the socket was already closing. */
const closeSocket = (ws: WebSocket, why: FeedCloseReason): boolean => {
  try {
    ws.close(why.code, why.reason);
    return true;
  } catch {
    return false;
  }
};

const PING = '{"type":"ping"}';
const PONG = '{"type":"pong"}';

const parseSince = (raw: unknown): number | null => {
  const value = typeof raw === 'string' && raw !== '' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
};

export class JobFeed extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /**
   * Whether the sockets this instance found when it started have been checked against D1. A new
   * instance (first use, or waking after eviction) starts `unchecked`; the first event or message
   * runs the check and waits for it, later ones only read this field.
   */
  private wake: 'unchecked' | Promise<void> | 'checked' = 'unchecked';

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      ${TICKETS_TABLE}
    `);
    // Answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Stores the event with the next id and sends it to every socket of the tenant. */
  async publish(input: FeedEventInput): Promise<JobEvent> {
    // Before the id is taken, so storing and sending stay one step and events keep their order.
    if (this.wake !== 'checked') await this.checkAfterWake();
    const now = Date.now();
    const id = this.lastEventId() + 1;
    const event: JobEvent = { id, ...input };
    const body = JSON.stringify(event);
    this.sql.exec('INSERT INTO events (id, at, body) VALUES (?, ?, ?)', id, now, body);
    this.sql.exec(
      "INSERT INTO meta (key, value) VALUES ('last_event_id', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      id,
    );
    this.sql.exec('DELETE FROM events WHERE id <= ? OR at < ?', id - MAX_FEED_EVENTS, now - FEED_EVENT_TTL_MS);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(body);
      } catch {
        // A socket that is closing misses the event; it can resume with `since` when it reconnects.
      }
    }
    return event;
  }

  /**
   * Sends a notification to the sockets its user opened, as `{"type":"notification","notification"}`.
   * Not stored with the job events and carrying no event id: a client that was away reads
   * GET /notifications. Returns how many sockets it reached.
   */
  notify(userId: string, notification: Record<string, unknown>): number {
    const body = JSON.stringify({ type: 'notification', notification });
    let sent = 0;
    for (const ws of this.ctx.getWebSockets(userTag(userId))) {
      try {
        ws.send(body);
        sent += 1;
      } catch {
        // Closing: the notification stays readable over REST.
      }
    }
    return sent;
  }

  /**
   * Closes at once every socket opened by these sessions or API keys (4401) or by these users (4403),
   * found by their tags. Returns how many it closed.
   */
  closeConnections(who: ConnectionOwners): number {
    const closing = new Map<WebSocket, FeedCloseReason>();
    const collect = (ids: string[] | undefined, tag: (id: string) => string, why: FeedCloseReason) => {
      for (const id of ids ?? []) {
        for (const ws of this.ctx.getWebSockets(tag(id))) if (!closing.has(ws)) closing.set(ws, why);
      }
    };
    collect(who.userIds, userTag, FEED_CLOSE_MEMBERSHIP_ENDED);
    collect(who.sessionIds, sessionTag, FEED_CLOSE_REVOKED);
    collect(who.apiKeyIds, apiKeyTag, FEED_CLOSE_REVOKED);
    let closed = 0;
    for (const [ws, why] of closing) if (closeSocket(ws, why)) closed += 1;
    return closed;
  }

  /** Stores a ticket's hash for `ttlSeconds`. */
  issueTicket(hash: string, grant: FeedTicketGrant, ttlSeconds: number): void {
    storeTicket(this.sql, hash, grant, ttlSeconds);
  }

  /** Consumes a ticket: it works once, and not after it expired. */
  redeemTicket(hash: string): FeedTicketGrant | null {
    return takeTicket<FeedTicketGrant>(this.sql, hash);
  }

  /** The WebSocket upgrade, forwarded by the Worker after authentication. `?since=N` replays first. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const orgId = request.headers.get(FEED_ORG_HEADER);
    const userId = request.headers.get(FEED_USER_HEADER);
    const sessionId = request.headers.get(FEED_SESSION_HEADER) || null;
    const apiKeyId = request.headers.get(FEED_API_KEY_HEADER) || null;
    if (!orgId || !userId) return new Response('Missing caller', { status: 400 });
    // The Worker names this object after the tenant it authenticated; refuse anything else.
    if (this.ctx.id.name !== undefined && this.ctx.id.name !== orgId) {
      return new Response('Wrong feed', { status: 403 });
    }
    const since = parseSince(new URL(request.url).searchParams.get('since'));
    const { 0: client, 1: server } = new WebSocketPair();
    const hwm = this.lastEventId();
    const tags = [userTag(userId)];
    if (sessionId) tags.push(sessionTag(sessionId));
    if (apiKeyId) tags.push(apiKeyTag(apiKeyId));
    this.ctx.acceptWebSocket(server, tags);
    const attachment: SocketAttachment = {
      org_id: orgId,
      user_id: userId,
      session_id: sessionId,
      api_key_id: apiKeyId,
      connected_at: Date.now(),
      hwm,
    };
    server.serializeAttachment(attachment);
    // Sent before any later event can be: this method does not yield between accepting and replaying.
    this.replay(server, since ?? hwm, hwm, 'ready');
    // Checked after accepting: a revocation that ran while this upgrade was authenticated has written
    // D1 already, and one that runs later finds the socket by its tags. A fresh instance checks all
    // its sockets at once; otherwise only the new one is asked about, without delaying the 101.
    this.ctx.waitUntil(this.wake === 'unchecked' ? this.checkAfterWake() : this.verifySockets([server]));
    const protocol = request.headers.get(FEED_PROTOCOL_HEADER);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: protocol ? { 'Sec-WebSocket-Protocol': protocol } : {},
    });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.wake !== 'checked') {
      await this.checkAfterWake();
      if (ws.readyState !== WebSocket.OPEN) return;
    }
    const text = typeof message === 'string' ? message : '';
    if (text.length === 0 || text.length > MAX_CLIENT_MESSAGE_BYTES) {
      this.sendError(ws, 'Messages are JSON text of at most 1 KiB');
      return;
    }
    let parsed: { type?: unknown; since?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      this.sendError(ws, 'Messages must be JSON');
      return;
    }
    if (parsed?.type === 'ping') {
      ws.send(PONG);
    } else if (parsed?.type === 'resume') {
      const since = parseSince(parsed.since);
      if (since === null) {
        this.sendError(ws, '"since" must be a non-negative integer event id');
        return;
      }
      const attachment = ws.deserializeAttachment() as SocketAttachment | null;
      // Events after the socket connected already reached it live; replay only the ones before.
      this.replay(ws, since, attachment?.hwm ?? this.lastEventId(), 'resumed');
    } else {
      this.sendError(ws, 'Unknown message type; expected "ping" or "resume"');
    }
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  override webSocketError(ws: WebSocket): void {
    try {
      ws.close(1011, 'WebSocket error');
    } catch {
      // Already closed.
    }
  }

  /** Runs the check of every socket once per instance; concurrent callers wait for the same one. */
  private checkAfterWake(): Promise<void> {
    if (this.wake === 'checked') return Promise.resolve();
    if (this.wake === 'unchecked') {
      this.wake = this.verifySockets(this.ctx.getWebSockets()).finally(() => {
        this.wake = 'checked';
      });
    }
    return this.wake;
  }

  /**
   * Closes the sockets whose credential no longer holds: the user is no longer an active member of
   * the tenant (4403), or the session or API key is revoked or expired (4401). One D1 batch for all of
   * them, every statement scoped to the tenant. When D1 cannot answer, the sockets are closed with
   * 1013 so that their clients reconnect and authenticate again, rather than keep them unchecked.
   */
  private async verifySockets(sockets: readonly WebSocket[]): Promise<void> {
    const open = sockets
      .filter((ws) => ws.readyState === WebSocket.OPEN)
      .map((ws) => ({ ws, owner: ws.deserializeAttachment() as SocketAttachment | null }));
    if (open.length === 0) return;
    const byOrg = new Map<string, { users: Set<string>; sessions: Set<string>; apiKeys: Set<string> }>();
    for (const { owner } of open) {
      if (!owner) continue;
      const ids = byOrg.get(owner.org_id) ?? { users: new Set(), sessions: new Set(), apiKeys: new Set() };
      ids.users.add(owner.user_id);
      if (owner.session_id) ids.sessions.add(owner.session_id);
      if (owner.api_key_id) ids.apiKeys.add(owner.api_key_id);
      byOrg.set(owner.org_id, ids);
    }
    let live: LiveCredentials;
    try {
      // Loaded here, not at the top: the Worker's start-up evaluates this module, and the schema is
      // not needed until a socket is checked.
      const { createDb, findLiveCredentials } = await import('@flowspark/db');
      live = await findLiveCredentials(createDb(this.env.DB), byOrg);
    } catch (err) {
      logger.warn('job feed sockets not verified', { sockets: open.length, ...describeError(err) });
      for (const { ws } of open) closeSocket(ws, FEED_CLOSE_UNVERIFIED);
      return;
    }
    for (const { ws, owner } of open) {
      if (!owner) {
        closeSocket(ws, FEED_CLOSE_REVOKED);
        continue;
      }
      const holds = (kind: CredentialKind, id: string) => live.holds(owner.org_id, kind, id, owner.user_id);
      if (!holds('usr', owner.user_id)) closeSocket(ws, FEED_CLOSE_MEMBERSHIP_ENDED);
      else if (
        (owner.session_id && !holds('ses', owner.session_id)) ||
        (owner.api_key_id && !holds('key', owner.api_key_id))
      ) {
        closeSocket(ws, FEED_CLOSE_REVOKED);
      }
    }
  }

  private lastEventId(): number {
    const [row] = this.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'last_event_id'").toArray();
    return row?.value ?? 0;
  }

  /**
   * Sends the stored events with `since < id <= upTo` in order, then a control message saying how many
   * were replayed and whether some were already pruned (`truncated`: fetch the jobs over REST).
   */
  private replay(ws: WebSocket, since: number, upTo: number, type: 'ready' | 'resumed'): void {
    let replayed = 0;
    let first: number | null = null;
    if (since < upTo) {
      const cursor = this.sql.exec<{ id: number; body: string }>(
        'SELECT id, body FROM events WHERE id > ? AND id <= ? AND at >= ? ORDER BY id',
        since,
        upTo,
        Date.now() - FEED_EVENT_TTL_MS,
      );
      for (const row of cursor) {
        first ??= row.id;
        ws.send(row.body);
        replayed += 1;
      }
    }
    const truncated = since < upTo && (first === null || first > since + 1);
    ws.send(JSON.stringify({ type, last_event_id: upTo, replayed, truncated }));
  }

  private sendError(ws: WebSocket, message: string): void {
    ws.send(JSON.stringify({ type: 'error', code: 'VALIDATION_ERROR', message }));
  }
}

import { DurableObject } from 'cloudflare:workers';
import type { JobEvent, JobEventInput } from '@flowspark/jobs';
import type { Env } from '../env';

/**
 * One instance per tenant (`idFromName(tenantId)`): the tenant's live job feed. Job events are stored
 * in the object's SQLite storage with an increasing id (the last 1,000, at most 24 h old) and sent to
 * every WebSocket of the tenant. Sockets use the Hibernation API: the object can be evicted between
 * events without closing them, so nothing lives only in memory; per-socket data is the socket's
 * attachment. The object also keeps the tenant's short-lived, single-use WebSocket tickets.
 *
 * Only the Worker talks to this object: it authenticates the caller, then forwards the upgrade with
 * the tenant and user in headers it sets itself.
 */
export const FEED_TENANT_HEADER = 'x-flowspark-feed-tenant';
export const FEED_USER_HEADER = 'x-flowspark-feed-user';
/** The subprotocol the client offered and the Worker accepted; echoed in the 101 response. */
export const FEED_PROTOCOL_HEADER = 'x-flowspark-feed-protocol';

export const MAX_FEED_EVENTS = 1000;
export const FEED_EVENT_TTL_MS = 24 * 3600 * 1000;
const MAX_CLIENT_MESSAGE_BYTES = 1024;

/** Who a ticket was issued to; the Worker re-checks the session with the tenant gate on use. */
export interface FeedTicketGrant {
  tenantId: string;
  userId: string;
  sessionId: string | null;
  apiKeyId: string | null;
  plan: string;
  /** Seconds since the epoch: a user whose tokens were invalidated after this cannot use it. */
  issuedAt: number;
}

interface SocketAttachment {
  tenant_id: string;
  user_id: string;
  connected_at: number;
  /** The newest event id when the socket connected: later events reached it live. */
  hwm: number;
}

const PING = '{"type":"ping"}';
const PONG = '{"type":"pong"}';

const parseSince = (raw: unknown): number | null => {
  const value = typeof raw === 'string' && raw !== '' ? Number(raw) : raw;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
};

export class JobFeed extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, body TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS tickets (hash TEXT PRIMARY KEY, claims TEXT NOT NULL, expires INTEGER NOT NULL);
    `);
    // Answered by the runtime without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Stores the event with the next id and sends it to every socket of the tenant. */
  publish(input: JobEventInput): JobEvent {
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

  /** Stores a ticket's hash for `ttlSeconds`. */
  issueTicket(hash: string, grant: FeedTicketGrant, ttlSeconds: number): void {
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
  redeemTicket(hash: string): FeedTicketGrant | null {
    const [row] = this.sql
      .exec<{ claims: string; expires: number }>('DELETE FROM tickets WHERE hash = ? RETURNING claims, expires', hash)
      .toArray();
    if (!row || row.expires < Date.now()) return null;
    return JSON.parse(row.claims) as FeedTicketGrant;
  }

  /** The WebSocket upgrade, forwarded by the Worker after authentication. `?since=N` replays first. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('Expected a WebSocket upgrade', { status: 426 });
    }
    const tenantId = request.headers.get(FEED_TENANT_HEADER);
    const userId = request.headers.get(FEED_USER_HEADER);
    if (!tenantId || !userId) return new Response('Missing caller', { status: 400 });
    // The Worker names this object after the tenant it authenticated; refuse anything else.
    if (this.ctx.id.name !== undefined && this.ctx.id.name !== tenantId) {
      return new Response('Wrong feed', { status: 403 });
    }
    const since = parseSince(new URL(request.url).searchParams.get('since'));
    const { 0: client, 1: server } = new WebSocketPair();
    const hwm = this.lastEventId();
    this.ctx.acceptWebSocket(server, [`tenant:${tenantId}`, `user:${userId}`]);
    const attachment: SocketAttachment = { tenant_id: tenantId, user_id: userId, connected_at: Date.now(), hwm };
    server.serializeAttachment(attachment);
    // Sent before any later event can be: this method does not yield between accepting and replaying.
    this.replay(server, since ?? hwm, hwm, 'ready');
    const protocol = request.headers.get(FEED_PROTOCOL_HEADER);
    return new Response(null, {
      status: 101,
      webSocket: client,
      headers: protocol ? { 'Sec-WebSocket-Protocol': protocol } : {},
    });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
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

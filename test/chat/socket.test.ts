import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { AiProviderError } from '@flowspark/ai';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatSession } from '../../workers/objects/chat-session';
import { addMember, call, createTenant, env, expectError, expectOk } from '../helpers/harness';
import {
  CONVERSATIONS,
  gatedStream,
  newConversation,
  openSocket,
  restoreProvider,
  send,
  spyProvider,
  storedMessages,
} from './helpers';

afterEach(restoreProvider);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sessionStub = (conversationId: string) => env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(conversationId));
const connections = async (conversationId: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM chat_connections WHERE conversation_id = ?')
    .bind(conversationId)
    .first<{ n: number }>())!.n;

const ready = async (socket: Awaited<ReturnType<typeof openSocket>>) => {
  expect(socket.status, JSON.stringify(socket.body)).toBe(101);
  await socket.waitFor((f) => f.some((x) => x.type === 'ready'));
  return socket;
};

const sentMessage = (socket: Awaited<ReturnType<typeof openSocket>>, content: string) =>
  socket.ws.send(JSON.stringify({ type: 'message', content }));

/** The frames after `ready` up to and including the second `message` (the stored reply). */
const untilReply = async (socket: Awaited<ReturnType<typeof openSocket>>, from = 0) => {
  await socket.waitFor((f) => f.slice(from).filter((x) => x.type === 'message').length >= 2);
  return socket.frames.slice(from).filter((x) => x.type !== 'ready');
};

describe('GET /conversations/{id}/ws', () => {
  it('every socket on the conversation receives the user message, the tokens and both stored messages', async () => {
    const tenant = await createTenant();
    spyProvider();
    const { conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'Our office opens at nine. The canteen opens at noon.'), 201);
    const one = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    const two = await ready(await openSocket(conversation.id, bearer(tenant.apiKey)));
    // The log caught up with the exchange stored over REST: two events, before this socket's position.
    expect(one.frames[0]).toEqual({
      type: 'ready',
      conversation_id: conversation.id,
      last_event_id: 2,
      replayed: 0,
      truncated: false,
      generating: false,
    });

    sentMessage(one, 'When does the office open?');
    const seen = await untilReply(one, 1);
    const seenByTwo = await untilReply(two, 1);
    expect(seenByTwo).toEqual(seen);
    const types = seen.map((f) => f.type);
    const tokens = seen.filter((f) => f.type === 'token');
    expect(tokens.length).toBeGreaterThan(1);
    expect(types).toEqual(['user_message', ...tokens.map(() => 'token'), 'message', 'message']);
    const [userFrame, , ,] = seen;
    const [storedUser, storedReply] = seen.slice(-2).map((f) => f.message);
    expect(userFrame!.message).toEqual(storedUser);
    expect(storedUser).toMatchObject({
      role: 'user',
      content: 'When does the office open?',
      conversation_id: conversation.id,
    });
    expect(storedReply).toMatchObject({ role: 'assistant', model: 'local-extractive-v1', citations: [] });
    expect(storedReply.content).toBe(
      tokens
        .map((t) => t.text)
        .join('')
        .trim(),
    );
    expect(storedReply.content).toContain('nine');
    expect(tokens.every((t) => t.reply_to === storedUser.id && t.message_id === storedReply.id)).toBe(true);
    // One sequence of events, the same on both sockets: 3, 4, 5, …
    expect(seen.map((f) => f.event_id)).toEqual(seen.map((_, i) => 3 + i));
    expect(storedReply.stopped).toBe(false);

    // Stored exactly as over REST: the same rows, in order, readable by GET.
    const rows = await storedMessages(conversation.id);
    expect(rows.map((r) => [r.seq, r.role])).toEqual([
      [1, 'user'],
      [2, 'assistant'],
      [3, 'user'],
      [4, 'assistant'],
    ]);
    expect(rows[3]).toMatchObject({ id: storedReply.id, org_id: tenant.orgId, model: 'local-extractive-v1' });
    const listed = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}/messages`)).body.data;
    expect(listed.slice(2)).toEqual([storedUser, storedReply]);
    one.ws.close();
    two.ws.close();
  });

  it('a reply sent over REST reaches the sockets as its two stored messages', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const socket = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    const exchange = expectOk(await send(tenant, conversation.id, 'Hello from REST'), 201).body.data;
    await socket.waitFor((f) => f.filter((x) => x.type === 'message').length === 2);
    expect(socket.frames.slice(1)).toEqual([
      { type: 'message', event_id: 1, message: exchange.user_message },
      { type: 'message', event_id: 2, message: exchange.assistant_message },
    ]);
    socket.ws.close();
  });

  it('answers pings (also after hibernation) and refuses bad frames with an error frame, staying open', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const socket = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    socket.ws.send('{"type":"ping"}');
    await socket.waitFor((f) => f.length === 2);
    expect(socket.frames[1]).toEqual({ type: 'pong' });
    await evictDurableObject(sessionStub(conversation.id));
    socket.ws.send('{"type":"ping"}');
    socket.ws.send('{ "type": "ping" }');
    await socket.waitFor((f) => f.length === 4);
    expect(socket.frames.slice(2)).toEqual([{ type: 'pong' }, { type: 'pong' }]);
    // The exact ping is the runtime's auto-response (the object is not woken for it).
    const answered = await runInDurableObject(sessionStub(conversation.id), (_instance: ChatSession, state) =>
      state.getWebSockets().map((ws) => state.getWebSocketAutoResponseTimestamp(ws)),
    );
    expect(answered).toEqual([expect.any(Date)]);

    const bad = [
      'not json',
      '[1,2]',
      '"message"',
      '{"type":"dance"}',
      '{"type":"message"}',
      '{"type":"message","content":"   "}',
      JSON.stringify({ type: 'message', content: 'x'.repeat(4_001) }),
      '{"type":"message","content":"hi","role":"system"}',
      '{"type":"resume","since":"yesterday"}',
      'x'.repeat(20_001),
    ];
    for (const frame of bad) socket.ws.send(frame);
    await socket.waitFor((f) => f.length === 4 + bad.length);
    const errors = socket.frames.slice(4);
    expect(errors.map((f) => [f.type, f.code])).toEqual(bad.map(() => ['error', 'VALIDATION_ERROR']));
    expect(errors[4]!.details).toEqual({ fields: { content: ['Invalid content'] } });
    expect(errors[7]!.details).toEqual({ fields: { role: ['Unknown field'] } });
    expect(await storedMessages(conversation.id)).toEqual([]);

    // Still open and working.
    sentMessage(socket, 'Are you there?');
    const reply = await untilReply(socket, 4 + bad.length);
    expect(reply.at(-1)!.message.role).toBe('assistant');
    socket.ws.close();
  });

  it('a reconnecting client gets the events after the last one it saw (or after a message), then live ones', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const first = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    sentMessage(first, 'First question');
    const lastSeen = (await untilReply(first, 1)).at(-1)!;
    first.ws.close();
    const missed = expectOk(await send(tenant, conversation.id, 'Asked while away'), 201).body.data;

    const again = await openSocket(conversation.id, bearer(tenant.accessToken), `?since=${lastSeen.event_id}`);
    await again.waitFor((f) => f.filter((x) => x.type === 'message').length === 2);
    expect(again.frames).toEqual([
      {
        type: 'ready',
        conversation_id: conversation.id,
        last_event_id: lastSeen.event_id,
        replayed: 2,
        truncated: false,
        generating: false,
      },
      { type: 'message', event_id: lastSeen.event_id + 1, message: missed.user_message },
      { type: 'message', event_id: lastSeen.event_id + 2, message: missed.assistant_message },
    ]);
    // The same from an open socket, after a stored message (by its id), from the start, and from now.
    again.ws.send(JSON.stringify({ type: 'resume', since: missed.user_message.id }));
    await again.waitFor((f) => f.some((x) => x.type === 'resumed'));
    expect(again.frames.slice(3)).toEqual([
      expect.objectContaining({ type: 'resumed', replayed: 1, last_event_id: lastSeen.event_id + 1 }),
      { type: 'message', event_id: lastSeen.event_id + 2, message: missed.assistant_message },
    ]);
    again.ws.send(JSON.stringify({ type: 'resume', since: 0 }));
    await again.waitFor((f) => f.filter((x) => x.type === 'resumed').length === 2);
    const all = again.frames.slice(6);
    expect(all.map((f) => f.event_id)).toEqual(Array.from({ length: lastSeen.event_id + 2 }, (_, i) => i + 1));
    again.ws.send(JSON.stringify({ type: 'resume', since: null }));
    await again.waitFor((f) => f.filter((x) => x.type === 'resumed').length === 3);
    expect(again.frames.at(-1)).toMatchObject({ type: 'resumed', replayed: 0, last_event_id: lastSeen.event_id + 2 });
    // A message the session does not know: everything it keeps, flagged as possibly incomplete.
    again.ws.send(JSON.stringify({ type: 'resume', since: `msg_${'0'.repeat(32)}` }));
    await again.waitFor((f) => f.filter((x) => x.type === 'resumed').length === 4);
    expect(again.frames.find((f, i) => i > 6 && f.type === 'resumed' && f.truncated)).toMatchObject({
      last_event_id: 0,
      truncated: true,
    });
    again.ws.close();
    for (const query of ['?since=nope', '?since=-1', '?since=1.5']) {
      expect((await openSocket(conversation.id, bearer(tenant.accessToken), query)).status).toBe(400);
    }
  });

  it('a socket that connects while a reply is generated gets it so far, then the rest, without a gap', async () => {
    const tenant = await createTenant();
    const gated = gatedStream(['The', ' office', ' opens', ' at', ' nine.']);
    spyProvider({ chatStream: gated.chatStream });
    const { conversation } = await newConversation(tenant);
    const sender = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    sentMessage(sender, 'When?');
    await gated.began();
    await sender.waitFor((f) => f.some((x) => x.type === 'token'));
    const late = await ready(await openSocket(conversation.id, bearer(tenant.apiKey)));
    // One at a time: a second message while the bot replies is refused.
    sentMessage(late, 'Me too?');
    await late.waitFor((f) => f.some((x) => x.type === 'error'));
    gated.release();
    await untilReply(sender, 1);
    const lateFrames = await late.waitFor((f) => f.filter((x) => x.type === 'message').length === 2);
    const user = sender.frames[1]!.message;
    expect(lateFrames[0]).toMatchObject({ type: 'ready', generating: true, last_event_id: 0, replayed: 2 });
    expect(lateFrames.slice(1, 4)).toEqual([
      { type: 'user_message', event_id: 1, message: user },
      { type: 'token', event_id: 2, reply_to: user.id, message_id: expect.stringMatching(/^msg_/), text: 'The' },
      { type: 'error', code: 'CONFLICT', message: expect.any(String) },
    ]);
    const text = lateFrames
      .filter((f) => f.type === 'token')
      .map((f) => f.text)
      .join('');
    expect(text).toBe('The office opens at nine.');
    expect(lateFrames.at(-1)!.message).toMatchObject({ content: 'The office opens at nine.', model: 'gated-1' });
    expect((await storedMessages(conversation.id)).map((m) => m.content)).toEqual([
      'When?',
      'The office opens at nine.',
    ]);
    sender.ws.close();
    late.ws.close();
  });

  it('a provider failure reaches every socket as failed, and nothing is stored', async () => {
    const tenant = await createTenant();
    spyProvider({
      chatStream: async function* () {
        yield { type: 'delta' as const, text: 'Partial' };
        throw new AiProviderError('Provider answered 502', { provider: 'local', retryable: true });
      },
    });
    const { conversation } = await newConversation(tenant);
    const one = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    const two = await ready(await openSocket(conversation.id, bearer(tenant.apiKey)));
    sentMessage(two, 'Will it work?');
    for (const socket of [one, two]) {
      await socket.waitFor((f) => f.some((x) => x.type === 'failed'));
      const [user, token, failed] = socket.frames.slice(1);
      expect(token).toEqual({
        type: 'token',
        event_id: 2,
        reply_to: user!.message.id,
        message_id: expect.stringMatching(/^msg_/),
        text: 'Partial',
      });
      expect(failed).toEqual({
        type: 'failed',
        event_id: 3,
        reply_to: user!.message.id,
        message_id: token!.message_id,
        code: 'SERVICE_UNAVAILABLE',
        message: 'Provider answered 502',
        details: { reason: 'AI_PROVIDER_ERROR', provider: 'local', retryable: true },
      });
    }
    expect(await storedMessages(conversation.id)).toEqual([]);
    one.ws.close();
    two.ws.close();
  });

  it('sockets survive hibernation: after eviction a message still reaches both', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const one = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    const two = await ready(await openSocket(conversation.id, bearer(tenant.apiKey)));
    await evictDurableObject(sessionStub(conversation.id));
    const kept = await runInDurableObject(sessionStub(conversation.id), (_instance: ChatSession, state) =>
      state.getWebSockets().map((ws) => ws.deserializeAttachment()),
    );
    expect(kept).toHaveLength(2);
    expect(JSON.stringify(kept[0]).length).toBeLessThan(512);
    expect(kept[0]).toMatchObject({ org: tenant.orgId, usr: tenant.userId, role: 'owner', w: true });
    sentMessage(one, 'After a nap');
    await untilReply(one, 1);
    await untilReply(two, 1);
    one.ws.close();
    two.ws.close();
  });

  it('is 404 for another organization and for a conversation the caller may not see', async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    const member = await addMember(tenant, 'member');
    const { conversation } = await newConversation(tenant);
    for (const token of [stranger.accessToken, stranger.apiKey, member.accessToken]) {
      const socket = await openSocket(conversation.id, bearer(token));
      expect(socket.status).toBe(404);
      expect(socket.body.error.code).toBe('NOT_FOUND');
      expectError(await call('POST', `${CONVERSATIONS}/${conversation.id}/ws/ticket`, { token }), 404, 'NOT_FOUND');
    }
    expect(await connections(conversation.id)).toBe(0);
  });

  it('refuses what is not an upgrade (426), no credentials (401) and a key without chat:read (403)', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const res = await call('GET', `${CONVERSATIONS}/${conversation.id}/ws`, { token: tenant.accessToken });
    expect(res.status).toBe(426);
    expect(res.body.error.code).toBe('UPGRADE_REQUIRED');
    expect((await openSocket(conversation.id, {})).status).toBe(401);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'bots only', scopes: ['bots:read'] } }),
      201,
    ).body.data.key;
    const narrow = await openSocket(conversation.id, bearer(key));
    expect(narrow.status).toBe(403);
    expect(narrow.body.error).toMatchObject({ code: 'INSUFFICIENT_SCOPE', details: { required_scope: 'chat:read' } });
  });
});

describe('chat socket messages and the tenant gate', () => {
  it('each message is counted like a request: past the limit the socket gets RATE_LIMITED, not a reply', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const limit = 3;
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', {
        body: { name: 'slow', scopes: ['chat:read', 'chat:write'], rate_limit_per_minute: limit },
      }),
      201,
    ).body.data.key;
    // The upgrade spends at least one token (this isolate may lease a few ahead), each message one more.
    const socket = await ready(await openSocket(conversation.id, bearer(key)));
    let replies = 0;
    let refused: Record<string, any> | undefined;
    for (let i = 0; i < limit && !refused; i++) {
      const seen = socket.frames.length;
      sentMessage(socket, `Message ${i}`);
      const frames = await socket.waitFor(
        (f) =>
          f.slice(seen).some((x) => x.type === 'error') ||
          f.slice(seen).filter((x) => x.type === 'message').length === 2,
      );
      refused = frames.slice(seen).find((x) => x.type === 'error');
      if (!refused) replies += 1;
    }
    expect(refused).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: expect.any(String),
      retry_after: expect.any(Number),
      details: { retry_after_seconds: refused!.retry_after },
    });
    expect(replies).toBeLessThan(limit);
    expect(await storedMessages(conversation.id)).toHaveLength(2 * replies);
    socket.ws.close();
  });
});

describe('chat socket tickets', () => {
  it('open the conversation once, with the permissions of who asked for them', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const ticket = expectOk(await tenant.as('POST', `${CONVERSATIONS}/${conversation.id}/ws/ticket`), 201).body.data;
    expect(ticket).toMatchObject({
      ticket: expect.stringMatching(new RegExp(`^${conversation.id}\\.[A-Za-z0-9_-]{43}$`)),
      expires_in: 60,
      url: `ws://localhost/api/v1/conversations/${conversation.id}/ws`,
      protocol: `flowspark.chat-ticket.${ticket.ticket}`,
    });
    const socket = await ready(await openSocket(conversation.id, { 'sec-websocket-protocol': ticket.protocol }));
    expect(socket.response.headers.get('sec-websocket-protocol')).toBe(ticket.protocol);
    sentMessage(socket, 'Via a ticket');
    await untilReply(socket, 1);
    const reused = await openSocket(conversation.id, { 'sec-websocket-protocol': ticket.protocol });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('INVALID_TOKEN');
    socket.ws.close();

    // A ticket of one conversation does not open another, and a read-only caller's socket cannot send.
    const other = await newConversation(tenant);
    const wrong = expectOk(await tenant.as('POST', `${CONVERSATIONS}/${conversation.id}/ws/ticket`), 201).body.data;
    expect((await openSocket(other.conversation.id, { 'sec-websocket-protocol': wrong.protocol })).status).toBe(401);
    const reader = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'reader', scopes: ['chat:read'] } }),
      201,
    ).body.data.key;
    const readOnly = expectOk(
      await call('POST', `${CONVERSATIONS}/${conversation.id}/ws/ticket`, { token: reader }),
      201,
    ).body.data;
    const watcher = await ready(await openSocket(conversation.id, { 'sec-websocket-protocol': readOnly.protocol }));
    sentMessage(watcher, 'Can I?');
    await watcher.waitFor((f) => f.some((x) => x.type === 'error'));
    expect(watcher.frames.at(-1)).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
      details: { required_scope: 'chat:write' },
    });
    watcher.ws.close();
  });
});

describe('chat sockets end with their conversation and their credential', () => {
  it('deleting the conversation closes its sockets with 4404', async () => {
    const tenant = await createTenant();
    const { bot, conversation } = await newConversation(tenant);
    const socket = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    expect(await connections(conversation.id)).toBe(1);
    expectOk(await tenant.as('DELETE', `${CONVERSATIONS}/${conversation.id}`), 204);
    expect(await socket.closed()).toEqual({ code: 4404, reason: 'conversation deleted' });

    const next = expectOk(await tenant.as('POST', `/api/v1/bots/${bot.id}/conversations`, { body: {} }), 201).body.data;
    const onBot = await ready(await openSocket(next.id, bearer(tenant.apiKey)));
    expectOk(await tenant.as('DELETE', `/api/v1/bots/${bot.id}`), 204);
    expect(await onBot.closed()).toEqual({ code: 4404, reason: 'conversation deleted' });
  });

  it('logout closes the session’s sockets (4401) and keeps others; a closed conversation is unregistered', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const viaSession = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    const viaKey = await ready(await openSocket(conversation.id, bearer(tenant.apiKey)));
    expectOk(await tenant.as('POST', '/api/v1/auth/logout', { body: {} }), 204);
    expect(await viaSession.closed()).toEqual({ code: 4401, reason: 'credentials revoked' });
    sentMessage(viaKey, 'Still here?');
    await untilReply(viaKey, 1);
    expect(await connections(conversation.id)).toBe(1);
    viaKey.ws.close();
    for (let i = 0; i < 100 && (await connections(conversation.id)) > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await connections(conversation.id)).toBe(0);
  });

  it('revoking an API key closes the sockets it opened (4401)', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'widget backend', scopes: ['chat:read'] } }),
      201,
    ).body.data;
    const socket = await ready(await openSocket(conversation.id, bearer(key.key)));
    expectOk(await tenant.as('DELETE', `/api/v1/api-keys/${key.id}`), 204);
    expect(await socket.closed()).toEqual({ code: 4401, reason: 'credentials revoked' });
  });

  it('a socket whose session ended while it connected is closed right after it opens', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    // Revoked in D1 only, as a revocation running meanwhile would have it: the token still verifies.
    await env.DB.prepare('UPDATE sessions SET revoked_at = ? WHERE id = ?')
      .bind(new Date().toISOString(), tenant.sessionId)
      .run();
    const socket = await openSocket(conversation.id, bearer(tenant.accessToken));
    expect(socket.status).toBe(101);
    expect(await socket.closed()).toEqual({ code: 4401, reason: 'credentials revoked' });
  });

  it("removing a member closes the member's sockets (4403)", async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const { conversation } = await newConversation({
      as: (method, path, options = {}) => call(method, path, { ...options, token: member.accessToken }),
    });
    const socket = await ready(await openSocket(conversation.id, bearer(member.accessToken)));
    const owners = await ready(await openSocket(conversation.id, bearer(tenant.accessToken)));
    expectOk(await tenant.as('DELETE', `/api/v1/organizations/current/members/${member.userId}`), 204);
    expect(await socket.closed()).toEqual({ code: 4403, reason: 'membership ended' });
    owners.ws.send('{"type":"ping"}');
    await owners.waitFor((f) => f.at(-1)?.type === 'pong');
    owners.ws.close();
  });
});

import { visitorConversation } from '@flowspark/chat';
import { createDb } from '@flowspark/db';
import { afterEach, describe, expect, it } from 'vitest';
import { forwardVisitorSocket, type VisitorSocket } from '../../workers/lib/chat';
import { createTenant, env, expectOk, type TestTenant } from '../helpers/harness';
import {
  BOTS,
  bearer,
  CONVERSATIONS,
  newBot,
  readySocket,
  restoreProvider,
  sendFrame,
  socketOf,
  spyProvider,
  storedFrames,
  storedMessages,
  tokenText,
} from './helpers';

afterEach(restoreProvider);

const ORIGIN = 'https://shop.example.com';

/** A public plain bot on ORIGIN, at most `limit` messages per visitor per hour. */
const publicBot = (tenant: TestTenant, limit = 20) =>
  newBot(tenant, {
    agent_type: 'plain',
    visibility: 'public',
    allowed_origins: [ORIGIN, 'https://www.example.com'],
    visitor_message_limit: limit,
  });

const connections = async (conversationId: string, kind: string) =>
  (await env.DB.prepare('SELECT count(*) AS n FROM chat_connections WHERE conversation_id = ? AND kind = ?')
    .bind(conversationId, kind)
    .first<{ n: number }>())!.n;

/** What the widget route does once it has checked the bot: find the conversation, forward the upgrade. */
const visitorSocket = async (
  tenant: TestTenant,
  bot: { id: string; public_key: string; configuration: { visitor_message_limit: number } },
  visitorId: string,
  { query = '', conversationId }: { query?: string; conversationId?: string } = {},
) => {
  const conversation = await visitorConversation(createDb(env.DB), { orgId: tenant.orgId, botId: bot.id, visitorId });
  const visitor: VisitorSocket = {
    orgId: tenant.orgId,
    conversationId: conversationId ?? conversation.id,
    visitorId,
    botId: bot.id,
    publicKey: bot.public_key,
    limitPerHour: bot.configuration.visitor_message_limit,
    buckets: [
      { key: 'tenant', per_minute: 1_000 },
      { key: `bot:${bot.id}`, per_minute: 100 },
    ],
  };
  const response = await forwardVisitorSocket(
    env,
    visitor,
    new Request(`http://localhost/widget/${bot.public_key}/ws${query}`, { headers: { Upgrade: 'websocket' } }),
  );
  const socket = await socketOf(response);
  return { socket, conversation };
};

const readyVisitor = async (...args: Parameters<typeof visitorSocket>) => {
  const opened = await visitorSocket(...args);
  expect(opened.socket.status).toBe(101);
  await opened.socket.waitFor((f) => f.some((x) => x.type === 'ready'));
  return opened;
};

describe('visitor sockets (the widget)', () => {
  it('a visitor has one conversation per bot; two tabs both see the message, the tokens and the stored reply', async () => {
    const tenant = await createTenant();
    spyProvider();
    const bot = await publicBot(tenant);
    const { socket: one, conversation } = await readyVisitor(tenant, bot, 'visitor-1');
    const { socket: two, conversation: same } = await readyVisitor(tenant, bot, 'visitor-1');
    const other = await visitorConversation(createDb(env.DB), {
      orgId: tenant.orgId,
      botId: bot.id,
      visitorId: 'visitor-2',
    });
    expect(same.id).toBe(conversation.id);
    expect(other.id).not.toBe(conversation.id);
    expect(conversation).toMatchObject({ visitorId: 'visitor-1', userId: null, botId: bot.id });
    expect(await connections(conversation.id, 'visitor')).toBe(1);
    expect(await connections(conversation.id, 'credential')).toBe(0);

    sendFrame(one, { type: 'message', content: 'Shipping takes three days. How long does shipping take?' });
    const [user, reply] = await storedFrames(one, 2);
    await storedFrames(two, 2);
    expect(two.frames.slice(1)).toEqual(one.frames.slice(1));
    expect(reply!.message.content).toBe(tokenText(one.frames).trim());
    expect(reply!.message.content).toContain('three days');
    expect((await storedMessages(conversation.id)).map((m) => m.id)).toEqual([user!.message.id, reply!.message.id]);

    // A tab that reconnects resumes like any socket; the owner sees the conversation over REST.
    const last = one.frames.find((f) => f.type === 'token')!;
    const again = (await readyVisitor(tenant, bot, 'visitor-1', { query: `?since=${last.event_id}` })).socket;
    await storedFrames(again, 2);
    expect(tokenText([last, ...again.frames]).trim()).toBe(reply!.message.content);
    const listed = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/conversations`)).body.data;
    expect(listed.map((c: any) => [c.id, c.visitor_id, c.message_count])).toEqual([
      [conversation.id, 'visitor-1', 2],
      [other.id, 'visitor-2', 0],
    ]);
    // An owner's revocation is not a visitor's: logging out leaves their sockets open.
    expectOk(await tenant.as('POST', '/api/v1/auth/logout', { body: {} }), 204);
    sendFrame(two, { type: 'ping' });
    await two.waitFor((f) => f.at(-1)?.type === 'pong');
    for (const s of [one, two, again]) s.ws.close();
  });

  it('past the hourly limit a message is RATE_LIMITED with retry_after, and the model is not asked', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const bot = await publicBot(tenant, 2);
    const { socket, conversation } = await readyVisitor(tenant, bot, 'visitor-limit');
    for (const n of [1, 2]) {
      const from = socket.frames.length;
      sendFrame(socket, { type: 'message', content: `Question ${n}` });
      await storedFrames(socket, 2, from);
    }
    // A second tab is the same visitor: the same count.
    const { socket: tab } = await readyVisitor(tenant, bot, 'visitor-limit');
    sendFrame(tab, { type: 'message', content: 'Question 3' });
    const [refused] = (await tab.waitFor((f) => f.some((x) => x.type === 'error'))).filter((f) => f.type === 'error');
    expect(refused).toEqual({
      type: 'error',
      code: 'RATE_LIMITED',
      message: expect.any(String),
      retry_after: expect.any(Number),
      details: { limit_per_hour: 2, retry_after_seconds: refused!.retry_after },
    });
    expect(refused!.retry_after).toBeGreaterThan(3_500);
    expect(refused!.retry_after).toBeLessThanOrEqual(3_600);
    expect(asked).toHaveLength(2);
    expect(await storedMessages(conversation.id)).toHaveLength(4);
    // Another visitor of the same bot has their own count.
    const { socket: stranger } = await readyVisitor(tenant, bot, 'visitor-other');
    sendFrame(stranger, { type: 'message', content: 'Hello' });
    await storedFrames(stranger, 2);
    expect(asked).toHaveLength(3);
    for (const s of [socket, tab, stranger]) s.ws.close();
  });

  it('deleting the bot closes its visitors’ sockets (4404); making it private or re-keying it too (4403)', async () => {
    const tenant = await createTenant();
    const bot = await publicBot(tenant);
    const { socket: first, conversation } = await readyVisitor(tenant, bot, 'v-delete-1');
    const { socket: second } = await readyVisitor(tenant, bot, 'v-delete-1');
    const { socket: elsewhere } = await readyVisitor(tenant, bot, 'v-delete-2');
    // The owner watching the visitor's conversation is not a visitor.
    const owner = await readySocket(conversation.id, bearer(tenant.accessToken));
    expectOk(await tenant.as('DELETE', `${BOTS}/${bot.id}`), 204);
    for (const s of [first, second, elsewhere, owner]) {
      expect(await s.closed()).toEqual({ code: 4404, reason: 'conversation deleted' });
    }

    const kept = await publicBot(tenant);
    const { socket: a, conversation: ca } = await readyVisitor(tenant, kept, 'v-private');
    const watching = await readySocket(ca.id, bearer(tenant.accessToken));
    // A change that still admits visitors keeps them.
    expectOk(await tenant.as('PUT', `${BOTS}/${kept.id}`, { body: { configuration: { temperature: 0.9 } } }));
    expectOk(await tenant.as('PUT', `${BOTS}/${kept.id}`, { body: { configuration: { allowed_origins: [ORIGIN] } } }));
    expect(await a.closed()).toEqual({ code: 4403, reason: 'origin no longer allowed' });
    const { socket: b } = await readyVisitor(tenant, kept, 'v-private');
    expectOk(await tenant.as('PUT', `${BOTS}/${kept.id}`, { body: { configuration: { visibility: 'private' } } }));
    expect(await b.closed()).toEqual({ code: 4403, reason: 'bot made private' });
    sendFrame(watching, { type: 'ping' });
    await watching.waitFor((f) => f.at(-1)?.type === 'pong');
    watching.ws.close();

    expectOk(await tenant.as('PUT', `${BOTS}/${kept.id}`, { body: { configuration: { visibility: 'public' } } }));
    const current = expectOk(await tenant.as('GET', `${BOTS}/${kept.id}`)).body.data;
    const { socket: c } = await readyVisitor(tenant, current, 'v-private');
    expectOk(await tenant.as('POST', `${BOTS}/${kept.id}/rotate-key`), 200);
    expect(await c.closed()).toEqual({ code: 4403, reason: 'bot key rotated' });
    // Opened with the old key after the rotation (a race with the widget route): closed once checked.
    const { socket: stale } = await visitorSocket(tenant, current, 'v-private');
    expect(await stale.closed()).toEqual({ code: 4403, reason: 'bot key rotated' });
    await expect(
      visitorConversation(createDb(env.DB), { orgId: tenant.orgId, botId: bot.id, visitorId: 'v-delete-1' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a visitor socket opens only the visitor’s own conversation of a public bot', async () => {
    const tenant = await createTenant();
    const bot = await publicBot(tenant);
    const theirs = await visitorConversation(createDb(env.DB), {
      orgId: tenant.orgId,
      botId: bot.id,
      visitorId: 'someone-else',
    });
    const { socket } = await visitorSocket(tenant, bot, 'intruder', { conversationId: theirs.id });
    expect(await socket.closed()).toEqual({ code: 4404, reason: 'conversation deleted' });
    const privateBot = await newBot(tenant, { agent_type: 'plain' });
    await expect(
      visitorConversation(createDb(env.DB), { orgId: tenant.orgId, botId: privateBot.id, visitorId: 'v' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const stranger = await createTenant();
    await expect(
      visitorConversation(createDb(env.DB), { orgId: stranger.orgId, botId: bot.id, visitorId: 'v' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      visitorConversation(createDb(env.DB), { orgId: tenant.orgId, botId: bot.id, visitorId: 'not a valid id!' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      forwardVisitorSocket(
        env,
        {
          orgId: tenant.orgId,
          conversationId: theirs.id,
          visitorId: 'someone-else',
          botId: bot.id,
          publicKey: bot.public_key,
          limitPerHour: 5,
          buckets: [],
        },
        new Request('http://localhost/widget/x/ws?since=yesterday', { headers: { Upgrade: 'websocket' } }),
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await storedMessages(theirs.id)).toEqual([]);
    expectOk(await tenant.as('GET', `${CONVERSATIONS}/${theirs.id}`));

    // Made private behind the session's back (no closeVisitors call): the next message is refused.
    const asked = spyProvider();
    const { socket: open } = await readyVisitor(tenant, bot, 'late-visitor');
    await env.DB.prepare(
      "UPDATE bots SET configuration = json_set(configuration, '$.visibility', 'private') WHERE id = ?",
    )
      .bind(bot.id)
      .run();
    sendFrame(open, { type: 'message', content: 'Still there?' });
    expect(await open.closed()).toEqual({ code: 4403, reason: 'bot unavailable' });
    expect(open.frames.at(-1)).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    expect(asked).toHaveLength(0);
  });
});

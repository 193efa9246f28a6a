import { evictDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { createTenant, env } from '../helpers/harness';
import {
  bearer,
  gatedStream,
  newConversation,
  readySocket,
  restoreProvider,
  sendFrame,
  spyProvider,
  storedFrames,
  storedMessages,
  tokenText,
} from './helpers';

afterEach(restoreProvider);

const sessionStub = (conversationId: string) => env.CHAT_SESSION.get(env.CHAT_SESSION.idFromName(conversationId));

const WORDS = ['The', ' office', ' opens', ' at', ' nine', ' and', ' closes', ' at', ' five.'];
const REPLY = WORDS.join('');

/** Sends `resume` and waits for the `resumed` frame and its replay. */
const resume = async (socket: Awaited<ReturnType<typeof readySocket>>, since: number) => {
  const from = socket.frames.length;
  sendFrame(socket, { type: 'resume', since });
  const frames = await socket.waitFor((f) => {
    const at = f.findIndex((x, i) => i >= from && x.type === 'resumed');
    return at >= 0 && f.length >= at + 1 + f[at]!.replayed;
  });
  const at = frames.findIndex((x, i) => i >= from && x.type === 'resumed');
  return { resumed: frames[at]!, replayed: frames.slice(at + 1, at + 1 + frames[at]!.replayed) };
};

/** Every event id in `frames`, which must each appear once. */
const eventIds = (frames: Record<string, any>[]) => frames.filter((f) => 'event_id' in f).map((f) => f.event_id);

describe('resuming a conversation socket', () => {
  it('mid-reply: the missed tokens are replayed, then the rest live; together they are the stored reply', async () => {
    const tenant = await createTenant();
    const gated = gatedStream(WORDS, { holdAt: 4 });
    spyProvider({ chatStream: gated.chatStream });
    const { conversation } = await newConversation(tenant);
    const first = await readySocket(conversation.id, bearer(tenant.accessToken));
    sendFrame(first, { type: 'message', content: 'When is the office open?' });
    await gated.began();
    await first.waitFor((f) => f.filter((x) => x.type === 'token').length === 4);
    // The client handled the user message and the first token only; the next three were lost with
    // the connection.
    const handled = first.frames.slice(0, 3);
    expect(handled.map((f) => f.type)).toEqual(['ready', 'user_message', 'token']);
    first.ws.close();

    const again = await readySocket(conversation.id, bearer(tenant.accessToken), `?since=${handled[2]!.event_id}`);
    expect(again.frames[0]).toMatchObject({ type: 'ready', generating: true, replayed: 3, truncated: false });
    await again.waitFor((f) => f.length === 4);
    gated.release();
    const stored = await storedFrames(again, 2);
    const seen = [...handled.slice(1), ...again.frames.slice(1)];
    const ids = eventIds(seen);
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    expect(tokenText(seen)).toBe(REPLY);
    expect(stored[1]!.message).toMatchObject({ role: 'assistant', content: REPLY, stopped: false });
    expect((await storedMessages(conversation.id)).map((m) => m.content)).toEqual(['When is the office open?', REPLY]);
    again.ws.close();
  });

  it('before the first token: the reconnecting socket gets the reply live from its start', async () => {
    const tenant = await createTenant();
    const gated = gatedStream(WORDS, { holdAt: 0 });
    spyProvider({ chatStream: gated.chatStream });
    const { conversation } = await newConversation(tenant);
    const first = await readySocket(conversation.id, bearer(tenant.accessToken));
    sendFrame(first, { type: 'message', content: 'When?' });
    await gated.began();
    const [, user] = await first.waitFor((f) => f.some((x) => x.type === 'user_message'));
    first.ws.close();

    const resumed = await readySocket(conversation.id, bearer(tenant.accessToken), `?since=${user!.event_id}`);
    // A socket without `since` gets the reply being generated from its start: its user message.
    const fresh = await readySocket(conversation.id, bearer(tenant.apiKey));
    expect(resumed.frames).toEqual([
      expect.objectContaining({ type: 'ready', last_event_id: user!.event_id, replayed: 0, generating: true }),
    ]);
    expect(fresh.frames).toEqual([
      expect.objectContaining({ type: 'ready', last_event_id: user!.event_id - 1, replayed: 1, generating: true }),
      user,
    ]);
    gated.release();
    for (const socket of [resumed, fresh]) {
      const stored = await storedFrames(socket, 2);
      expect(tokenText(socket.frames)).toBe(REPLY);
      expect(stored.map((f) => f.message.content)).toEqual(['When?', REPLY]);
      expect(new Set(eventIds(socket.frames)).size).toBe(eventIds(socket.frames).length);
      socket.ws.close();
    }
  });

  it('the log is in the object’s storage: after eviction a resume from inside a finished reply is exact', async () => {
    const tenant = await createTenant();
    spyProvider();
    const { conversation } = await newConversation(tenant);
    const socket = await readySocket(conversation.id, bearer(tenant.accessToken));
    sendFrame(socket, { type: 'message', content: 'The canteen opens at noon. When does the canteen open?' });
    const [, reply] = await storedFrames(socket, 2);
    socket.ws.close();
    await evictDurableObject(sessionStub(conversation.id));

    const tokens = socket.frames.filter((f) => f.type === 'token');
    expect(tokens.length).toBeGreaterThan(2);
    const again = await readySocket(conversation.id, bearer(tenant.accessToken), `?since=${tokens[1]!.event_id}`);
    await storedFrames(again, 2);
    expect(again.frames.slice(1)).toEqual(socket.frames.slice(socket.frames.indexOf(tokens[1]!) + 1));
    expect(tokenText([tokens[0]!, tokens[1]!, ...again.frames]).trim()).toBe(reply!.message.content);
    again.ws.close();
  });

  it('keeps the events of the last replies and a bounded number of stored messages; older resumes are truncated', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const socket = await readySocket(conversation.id, bearer(tenant.accessToken));
    // Seven replies over the socket: the tokens of the first two are dropped, their messages kept.
    for (let i = 0; i < 7; i++) {
      const from = socket.frames.length;
      sendFrame(socket, { type: 'message', content: `Question ${i}. Answer with this sentence ${i}.` });
      await storedFrames(socket, 2, from);
    }
    const userEvents = socket.frames.filter((f) => f.type === 'user_message');
    const recent = socket.frames.filter((f) => 'event_id' in f && f.event_id >= userEvents[2]!.event_id);
    const { resumed, replayed } = await resume(socket, 0);
    expect(resumed).toMatchObject({ truncated: false, last_event_id: 0 });
    expect(replayed.filter((f) => f.type === 'message')).toHaveLength(14);
    expect(replayed.filter((f) => f.type === 'user_message').map((f) => f.event_id)).toEqual(
      userEvents.slice(2).map((f) => f.event_id),
    );
    // Every event of the last five replies, exactly as it was sent live.
    expect(replayed.slice(-recent.length)).toEqual(recent);

    // More stored messages than the log keeps (announced as REST replies would be): the oldest go.
    const stub = sessionStub(conversation.id);
    const view = (n: number) => ({
      seq: 100 + n,
      message: {
        id: `msg_${n.toString(16).padStart(32, '0')}`,
        conversation_id: conversation.id,
        role: 'user' as const,
        content: `Stored ${n}`,
        citations: [],
        usage: null,
        model: null,
        latency_ms: null,
        stopped: false,
        created_at: new Date().toISOString(),
      },
    });
    await stub.announce(Array.from({ length: 200 }, (_, n) => view(n)));
    const late = await readySocket(conversation.id, bearer(tenant.apiKey), '?since=0');
    const all = await late.waitFor((f) => f.length === 1 + f[0]!.replayed);
    expect(all[0]).toMatchObject({ type: 'ready', truncated: true });
    expect(all.slice(1).filter((f) => f.type === 'message')).toHaveLength(200);
    expect(all.at(-1)!.message.content).toBe('Stored 199');
    // A client that had seen everything is not told it missed anything.
    const current = await readySocket(conversation.id, bearer(tenant.apiKey), `?since=${all.at(-1)!.event_id}`);
    expect(current.frames[0]).toMatchObject({ replayed: 0, truncated: false });
    for (const s of [socket, late, current]) s.ws.close();
  });
});

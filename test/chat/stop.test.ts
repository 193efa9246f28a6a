import { afterEach, describe, expect, it } from 'vitest';
import { createTenant, expectOk } from '../helpers/harness';
import {
  bearer,
  CONVERSATIONS,
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

const WORDS = ['We', ' open', ' at', ' nine', ' and', ' close', ' at', ' five.'];

const waitUntil = async (check: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('stopping a reply', () => {
  it('a stop from any writer socket ends the generation; the text so far is stored, marked stopped', async () => {
    const tenant = await createTenant();
    const gated = gatedStream(WORDS, { holdAt: 3 });
    const asked = spyProvider({ chatStream: gated.chatStream });
    const { conversation } = await newConversation(tenant);
    const sender = await readySocket(conversation.id, bearer(tenant.accessToken));
    const other = await readySocket(conversation.id, bearer(tenant.apiKey));
    sendFrame(sender, { type: 'message', content: 'When do you open?' });
    await gated.began();
    await other.waitFor((f) => f.filter((x) => x.type === 'token').length === 3);
    sendFrame(other, { type: 'stop' });
    for (const socket of [sender, other]) {
      const [user, reply] = await storedFrames(socket, 2);
      expect(user!.message).toMatchObject({ role: 'user', content: 'When do you open?', stopped: false });
      expect(reply!.message).toMatchObject({ role: 'assistant', content: 'We open at', stopped: true, model: null });
      expect(reply!.message.usage).toMatchObject({ estimated: true });
      expect(reply!.message.usage.completion_tokens).toBeGreaterThan(0);
      expect(tokenText(socket.frames)).toBe('We open at');
    }
    // The provider's request was aborted, and it was not read further.
    expect(gated.aborted()).toBe(true);
    gated.release();
    const rows = await storedMessages(conversation.id);
    expect(rows.map((r) => [r.role, r.content, r.stopped])).toEqual([
      ['user', 'When do you open?', 0],
      ['assistant', 'We open at', 1],
    ]);
    const listed = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}/messages`)).body.data;
    expect(listed[1]).toMatchObject({ content: 'We open at', stopped: true });
    expect(tokenText(sender.frames)).toBe('We open at');

    // The conversation goes on: the next message is answered, with the stopped reply in its history.
    restoreProvider();
    const next = spyProvider();
    const from = sender.frames.length;
    sendFrame(sender, { type: 'message', content: 'And on Sundays?' });
    const [, answer] = await storedFrames(sender, 2, from);
    expect(answer!.message.stopped).toBe(false);
    expect(next[0]!.messages.slice(1)).toEqual([
      { role: 'user', content: 'When do you open?' },
      { role: 'assistant', content: 'We open at' },
      { role: 'user', content: 'And on Sundays?' },
    ]);
    expect(asked).toHaveLength(1);
    sender.ws.close();
    other.ws.close();
  });

  it('a stop before the first token stores the question with an empty stopped reply', async () => {
    const tenant = await createTenant();
    const gated = gatedStream(WORDS, { holdAt: 0 });
    spyProvider({ chatStream: gated.chatStream });
    const { conversation } = await newConversation(tenant);
    const socket = await readySocket(conversation.id, bearer(tenant.accessToken));
    sendFrame(socket, { type: 'message', content: 'Hello?' });
    await gated.began();
    await socket.waitFor((f) => f.some((x) => x.type === 'user_message'));
    sendFrame(socket, { type: 'stop' });
    const [, reply] = await storedFrames(socket, 2);
    expect(reply!.message).toMatchObject({ content: '', stopped: true, citations: [] });
    expect(socket.frames.some((f) => f.type === 'token')).toBe(false);
    gated.release();
    expect((await storedMessages(conversation.id)).map((r) => [r.content, r.stopped])).toEqual([
      ['Hello?', 0],
      ['', 1],
    ]);
    socket.ws.close();
  });

  it('is refused when nothing is being generated, and from a socket that may not write', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    const reader = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'reader', scopes: ['chat:read'] } }),
      201,
    ).body.data.key;
    const socket = await readySocket(conversation.id, bearer(tenant.accessToken));
    const watcher = await readySocket(conversation.id, bearer(reader));
    sendFrame(socket, { type: 'stop' });
    sendFrame(watcher, { type: 'stop' });
    await socket.waitFor((f) => f.some((x) => x.type === 'error'));
    await watcher.waitFor((f) => f.some((x) => x.type === 'error'));
    expect(socket.frames[1]).toMatchObject({ type: 'error', code: 'CONFLICT' });
    expect(watcher.frames[1]).toMatchObject({ type: 'error', code: 'INSUFFICIENT_SCOPE' });
    sendFrame(socket, { type: 'stop', now: true });
    await socket.waitFor((f) => f.length === 3);
    expect(socket.frames[2]).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { fields: { now: ['Unknown field'] } },
    });
    socket.ws.close();
    watcher.ws.close();
  });

  it('a disconnect does not stop it: the reply completes and is stored, and a reconnecting socket gets it', async () => {
    const tenant = await createTenant();
    const gated = gatedStream(WORDS, { holdAt: 2 });
    spyProvider({ chatStream: gated.chatStream });
    const { conversation } = await newConversation(tenant);
    const socket = await readySocket(conversation.id, bearer(tenant.accessToken));
    sendFrame(socket, { type: 'message', content: 'When do you open?' });
    await gated.began();
    await socket.waitFor((f) => f.filter((x) => x.type === 'token').length === 2);
    const last = socket.frames.at(-1)!;
    socket.ws.close();
    await socket.closed();
    gated.release();
    await waitUntil(async () => (await storedMessages(conversation.id)).length === 2, 'the stored reply');
    expect(gated.aborted()).toBe(false);
    const rows = await storedMessages(conversation.id);
    expect(rows[1]).toMatchObject({ content: WORDS.join(''), stopped: 0, model: 'gated-1' });

    const again = await readySocket(conversation.id, bearer(tenant.accessToken), `?since=${last.event_id}`);
    const [, reply] = await storedFrames(again, 2);
    expect(again.frames[0]).toMatchObject({ generating: false, truncated: false });
    expect(tokenText([...socket.frames, ...again.frames])).toBe(WORDS.join(''));
    expect(reply!.message).toMatchObject({ id: rows[1]!.id, stopped: false });
    again.ws.close();
  });
});

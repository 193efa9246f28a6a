import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it } from 'vitest';
import { newBot, restoreProvider, sendFrame, socketOf, storedFrames, tokenText } from '../chat/helpers';
import { call, createTenant, env, expectError, expectOk } from '../helpers/harness';

afterEach(restoreProvider);

const SITE = 'https://www.acme.test';

const publicBot = async (configuration: Record<string, unknown> = {}) => {
  const tenant = await createTenant();
  const bot = await newBot(tenant, {
    agent_type: 'plain',
    visibility: 'public',
    allowed_origins: [SITE],
    ...configuration,
  });
  return { tenant, bot };
};

const sessionOf = async (key: string) =>
  expectOk(await call('POST', `/widget/${key}/session`, { body: {}, headers: { origin: SITE } })).body.data as {
    visitor_token: string;
    conversation_id: string;
  };

const upgrade = (key: string, query: string, headers: Record<string, string> = { origin: SITE }) =>
  exports.default.fetch(
    new Request(`http://localhost/widget/${key}/ws?${query}`, { headers: { upgrade: 'websocket', ...headers } }),
  );

describe('GET /widget/{public_key}/ws', () => {
  it("a visitor chats live: the reply streams, and is stored in the visitor's conversation", async () => {
    const { bot } = await publicBot();
    const session = await sessionOf(bot.public_key);
    const socket = await socketOf(
      await upgrade(bot.public_key, `visitor_token=${encodeURIComponent(session.visitor_token)}`),
    );
    await socket.waitFor((f) => f.some((x) => x.type === 'ready'));
    expect(socket.frames[0]).toMatchObject({ type: 'ready', conversation_id: session.conversation_id });
    sendFrame(socket, { type: 'message', content: 'What are your opening hours?' });
    const [question, reply] = await storedFrames(socket, 2);
    expect(question!.message).toMatchObject({ role: 'user', content: 'What are your opening hours?' });
    expect(reply!.message.role).toBe('assistant');
    expect(tokenText(socket.frames)).toBe(reply!.message.content);
    const rows = await env.DB.prepare('SELECT role FROM messages WHERE conversation_id = ? ORDER BY seq')
      .bind(session.conversation_id)
      .all<{ role: string }>();
    expect(rows.results.map((r) => r.role)).toEqual(['user', 'assistant']);
    socket.ws.close();
  });

  it('is refused before the upgrade: another site, no Origin, a foreign token, a private bot, no upgrade', async () => {
    const { bot } = await publicBot();
    const { bot: other } = await publicBot();
    const session = await sessionOf(bot.public_key);
    const token = `visitor_token=${encodeURIComponent(session.visitor_token)}`;
    const read = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

    const foreign = await read(await upgrade(bot.public_key, token, { origin: 'https://evil.test' }));
    expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((await read(await upgrade(bot.public_key, token, {}))).status).toBe(403);
    const elsewhere = await read(await upgrade(other.public_key, token));
    expect(elsewhere).toMatchObject({ status: 401, body: { error: { code: 'INVALID_TOKEN' } } });
    expect((await read(await upgrade(`pk_${'0'.repeat(40)}`, token))).status).toBe(404);
    expectError(
      await call('GET', `/widget/${bot.public_key}/ws?${token}`, { headers: { origin: SITE } }),
      426,
      'UPGRADE_REQUIRED',
    );
    const bad = await call('GET', `/widget/${bot.public_key}/ws?${token}&since=abc`, {
      headers: { origin: SITE, upgrade: 'websocket' },
    });
    expectError(bad, 400, 'VALIDATION_ERROR');

    const tenant = await createTenant();
    const privateBot = await newBot(tenant, { agent_type: 'plain', allowed_origins: [SITE] });
    expect((await read(await upgrade(privateBot.public_key, token))).status).toBe(404);
    // Nothing was generated for any of them.
    const n = await env.DB.prepare('SELECT count(*) AS n FROM messages WHERE conversation_id = ?')
      .bind(session.conversation_id)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it('past the visitor limit a message is refused with retry_after, before any AI cost', async () => {
    const { bot } = await publicBot({ visitor_message_limit: 1 });
    const session = await sessionOf(bot.public_key);
    const socket = await socketOf(
      await upgrade(bot.public_key, `visitor_token=${encodeURIComponent(session.visitor_token)}`),
    );
    await socket.waitFor((f) => f.some((x) => x.type === 'ready'));
    sendFrame(socket, { type: 'message', content: 'one' });
    await storedFrames(socket, 2);
    sendFrame(socket, { type: 'message', content: 'two' });
    const frames = await socket.waitFor((f) => f.some((x) => x.type === 'error'));
    expect(frames.find((x) => x.type === 'error')).toMatchObject({
      code: 'RATE_LIMITED',
      retry_after: expect.any(Number),
    });
    socket.ws.close();
  });
});

import { describe, expect, it } from 'vitest';
import { BOTS, newBot } from '../chat/helpers';
import { call, createTenant, env, expectError, expectOk, fetchWith } from '../helpers/harness';

const SITE = 'https://www.acme.test';
const OTHER_SITE = 'https://evil.test';

const publicBot = async (configuration: Record<string, unknown> = {}) => {
  const tenant = await createTenant();
  const bot = await newBot(tenant, {
    agent_type: 'plain',
    visibility: 'public',
    allowed_origins: [SITE, 'http://localhost:5173'],
    welcome_message: 'Hi from Acme',
    suggested_messages: ['Opening hours?'],
    theme: { title: 'Ask Acme', primary_color: '#0f766e', position: 'bottom-left' },
    ...configuration,
  });
  return { tenant, bot };
};

const config = (key: string, origin?: string) =>
  call('GET', `/widget/${key}/config`, { headers: origin ? { origin } : {} });

const session = (key: string, body: Record<string, unknown> = {}, origin: string | null = SITE) =>
  call('POST', `/widget/${key}/session`, { body, headers: origin ? { origin } : {} });

describe('GET /widget/{public_key}/config', () => {
  it("answers what the widget draws, and only that, readable only by the bot's own sites", async () => {
    const { bot } = await publicBot();
    const res = expectOk(await config(bot.public_key, SITE));
    expect(res.body.data).toEqual({
      bot: {
        name: 'Support bot',
        welcome_message: 'Hi from Acme',
        suggested_messages: ['Opening hours?'],
        theme: {
          primary_color: '#0f766e',
          background_color: '#ffffff',
          text_color: '#111827',
          position: 'bottom-left',
          title: 'Ask Acme',
          avatar_url: null,
        },
      },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(res.headers.get('vary')).toContain('Origin');
    expect(res.headers.get('cache-control')).toBe('public, max-age=60');
    // Not from a page (curl, a server): allowed, but no page may read it.
    const bare = expectOk(await config(bot.public_key));
    expect(bare.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a page on a site the bot does not list, without letting it read the answer', async () => {
    const { bot } = await publicBot();
    const res = await config(bot.public_key, OTHER_SITE);
    expectError(res, 403, 'FORBIDDEN');
    expect(res.body.error.details).toEqual({ origin: OTHER_SITE });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a private bot, an unknown key and a malformed key are all 404', async () => {
    const tenant = await createTenant();
    const privateBot = await newBot(tenant, { allowed_origins: [SITE] });
    expectError(await config(privateBot.public_key, SITE), 404, 'NOT_FOUND');
    expectError(await config(`pk_${'0'.repeat(40)}`, SITE), 404, 'NOT_FOUND');
    expectError(await config('not-a-key', SITE), 404, 'NOT_FOUND');
    expectError(await config(privateBot.id, SITE), 404, 'NOT_FOUND');
  });

  it('a rotated key stops answering at once', async () => {
    const { tenant, bot } = await publicBot();
    expectOk(await config(bot.public_key, SITE));
    const rotated = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/rotate-key`, { body: {} })).body.data;
    expectError(await config(bot.public_key, SITE), 404, 'NOT_FOUND');
    expectOk(await config(rotated.public_key, SITE));
  });
});

describe('POST /widget/{public_key}/session', () => {
  it("gives a first-time visitor a token and a conversation of their own in the bot's organization", async () => {
    const { tenant, bot } = await publicBot();
    const res = expectOk(await session(bot.public_key));
    const { visitor_token, conversation_id, returning } = res.body.data;
    expect(returning).toBe(false);
    expect(visitor_token).toMatch(/^v1\./);
    expect(res.headers.get('access-control-allow-origin')).toBe(SITE);
    const row = await env.DB.prepare('SELECT org_id, bot_id, user_id, visitor_id FROM conversations WHERE id = ?')
      .bind(conversation_id)
      .first<{ org_id: string; bot_id: string; user_id: string | null; visitor_id: string }>();
    expect(row).toMatchObject({ org_id: tenant.orgId, bot_id: bot.id, user_id: null });
    expect(row!.visitor_id).toMatch(/^vis_[0-9a-f]{32}$/);
    // The visitor id itself is sealed in the token, not readable from it.
    expect(visitor_token).not.toContain(row!.visitor_id);
    // The bot's owner sees the visitor's conversation.
    const listed = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/conversations`)).body.data;
    expect(listed.map((c: { id: string }) => c.id)).toContain(conversation_id);
  });

  it('a returning visitor gets the same conversation, also from two tabs at once', async () => {
    const { bot } = await publicBot();
    const first = expectOk(await session(bot.public_key)).body.data;
    const [a, b] = await Promise.all([
      session(bot.public_key, { visitor_token: first.visitor_token }),
      session(bot.public_key, { visitor_token: first.visitor_token }),
    ]);
    for (const res of [a, b]) {
      expect(expectOk(res).body.data).toEqual({
        visitor_token: first.visitor_token,
        conversation_id: first.conversation_id,
        returning: true,
      });
    }
    const count = await env.DB.prepare('SELECT count(*) AS n FROM conversations WHERE bot_id = ?')
      .bind(bot.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("a token of another bot, a tampered token or one from before the key's rotation starts a new visitor", async () => {
    const { tenant, bot } = await publicBot();
    const { bot: otherBot } = await publicBot();
    const mine = expectOk(await session(bot.public_key)).body.data;
    const elsewhere = expectOk(await session(otherBot.public_key, { visitor_token: mine.visitor_token })).body.data;
    expect(elsewhere.returning).toBe(false);
    expect(elsewhere.conversation_id).not.toBe(mine.conversation_id);

    const tampered = `${mine.visitor_token.slice(0, -4)}AAAA`;
    const fresh = expectOk(await session(bot.public_key, { visitor_token: tampered })).body.data;
    expect(fresh.returning).toBe(false);
    expect(fresh.conversation_id).not.toBe(mine.conversation_id);

    const rotated = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/rotate-key`, { body: {} })).body.data;
    const after = expectOk(await session(rotated.public_key, { visitor_token: mine.visitor_token })).body.data;
    expect(after.returning).toBe(false);
  });

  it('needs a page on one of the bot’s sites: no Origin or another one is 403, and nothing is created', async () => {
    const { bot } = await publicBot();
    expectError(await session(bot.public_key, {}, null), 403, 'FORBIDDEN');
    expectError(await session(bot.public_key, {}, OTHER_SITE), 403, 'FORBIDDEN');
    const count = await env.DB.prepare('SELECT count(*) AS n FROM conversations WHERE bot_id = ?')
      .bind(bot.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it('validates its input and refuses private bots', async () => {
    const { bot } = await publicBot();
    const bad = await session(bot.public_key, { visitor_token: 42 });
    expectError(bad, 400, 'VALIDATION_ERROR');
    expect(Object.keys(bad.body.error.details.fields)).toEqual(['visitor_token']);
    expectError(await session(bot.public_key, { extra: true }), 400, 'VALIDATION_ERROR');
    const tenant = await createTenant();
    const privateBot = await newBot(tenant, { allowed_origins: [SITE] });
    expectError(await session(privateBot.public_key), 404, 'NOT_FOUND');
  });
});

describe('GET /widget/demo (local mode)', () => {
  it("embeds the widget of the given bot with the loader's versioned URL", async () => {
    const key = `pk_${'ab'.repeat(20)}`;
    const res = await call('GET', `/widget/demo?bot=${key}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = res.body as string;
    expect(html).toMatch(new RegExp(`<script src="/assets/widget\\.[0-9a-f]{12}\\.js" data-bot="${key}" async>`));
    expect(html).toContain(`http://localhost/widget.js" data-bot="${key}"`);
    expect(html).not.toContain('__BOT_KEY__');
  });

  it('takes only a public key, and does not exist in production', async () => {
    const bad = await call('GET', '/widget/demo?bot=<script>');
    expectError(bad, 400, 'VALIDATION_ERROR');
    expect(Object.keys(bad.body.error.details.fields)).toEqual(['bot']);
    const production = fetchWith(new Request(`http://localhost/widget/demo?bot=pk_${'0'.repeat(40)}`), {
      ...env,
      ENVIRONMENT: 'production',
    } as typeof env);
    const res = await production;
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
  });
});

import { DEFAULT_BOT_CONFIGURATION } from '@flowspark/chat';
import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectError, expectOk, ISO_TIME, pagination } from '../helpers/harness';
import { BOTS, failingFields, newBot, newConversation, send } from './helpers';

describe('POST /bots', () => {
  it('creates a bot with its public key and every configuration field filled', async () => {
    const tenant = await createTenant();
    const res = expectOk(
      await tenant.as('POST', BOTS, {
        body: {
          name: 'Helpdesk',
          configuration: {
            temperature: 0.9,
            allowed_origins: ['https://www.acme.test', 'http://localhost:5173'],
            theme: { title: 'Ask Acme', primary_color: '#0F766E' },
          },
        },
      }),
      201,
    );
    const bot = res.body.data;
    expect(bot).toEqual({
      id: expect.stringMatching(/^bot_[0-9a-f]{32}$/),
      name: 'Helpdesk',
      public_key: expect.stringMatching(/^pk_[0-9a-f]{40}$/),
      configuration: {
        ...DEFAULT_BOT_CONFIGURATION,
        temperature: 0.9,
        allowed_origins: ['https://www.acme.test', 'http://localhost:5173'],
        theme: { ...DEFAULT_BOT_CONFIGURATION.theme, title: 'Ask Acme', primary_color: '#0F766E' },
      },
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: bot.created_at,
    });
    expect(expectOk(await tenant.as('GET', `${BOTS}/${bot.id}`)).body.data).toEqual(bot);
    const row = await env.DB.prepare('SELECT org_id, created_by FROM bots WHERE id = ?').bind(bot.id).first();
    expect(row).toEqual({ org_id: tenant.orgId, created_by: tenant.userId });
  });

  it('refuses invalid input and unknown fields, naming each failing field', async () => {
    const tenant = await createTenant();
    const cases: Array<[unknown, string[]]> = [
      [{}, ['name']],
      [{ name: '  ' }, ['name']],
      [{ name: 'x'.repeat(101) }, ['name']],
      [{ name: 'b', owner: 'me' }, ['(body)']],
      [{ name: 'b', configuration: { colour: 'red' } }, ['configuration']],
      [
        { name: 'b', configuration: { temperature: 3, top_k: 0 } },
        ['configuration.temperature', 'configuration.top_k'],
      ],
      [{ name: 'b', configuration: { chat_history_length: -1 } }, ['configuration.chat_history_length']],
      [
        { name: 'b', configuration: { agent_type: 'react', visibility: 'secret' } },
        ['configuration.agent_type', 'configuration.visibility'],
      ],
      [
        {
          name: 'b',
          configuration: { allowed_origins: ['https://ok.test', 'https://*.acme.test', 'https://a.test/path'] },
        },
        ['configuration.allowed_origins.1', 'configuration.allowed_origins.2'],
      ],
      [{ name: 'b', configuration: { allowed_origins: ['http://acme.test'] } }, ['configuration.allowed_origins.0']],
      [
        {
          name: 'b',
          configuration: { theme: { primary_color: 'teal', avatar_url: 'http://cdn.test/a.png', font: 'x' } },
        },
        ['configuration.theme', 'configuration.theme.avatar_url', 'configuration.theme.primary_color'],
      ],
      [{ name: 'b', configuration: { suggested_messages: Array(7).fill('hi') } }, ['configuration.suggested_messages']],
      [{ name: 'b', configuration: { visitor_message_limit: 0 } }, ['configuration.visitor_message_limit']],
      [{ name: 'b', configuration: { model: 'gpt 4; drop' } }, ['configuration.model']],
    ];
    for (const [body, fields] of cases) {
      const res = expectError(await tenant.as('POST', BOTS, { body }), 400, 'VALIDATION_ERROR');
      expect(failingFields(res), JSON.stringify(body)).toEqual(fields);
    }
    const unknown = await tenant.as('POST', BOTS, { body: { name: 'b', configuration: { colour: 'red' } } });
    expect(unknown.body.error.details.fields.configuration).toEqual(['Unknown field(s): colour']);
    const count = await env.DB.prepare('SELECT count(*) AS n FROM bots WHERE org_id = ?').bind(tenant.orgId).first();
    expect(count).toEqual({ n: 0 });
  });
});

describe('GET /bots', () => {
  it("lists the organization's bots, newest first, in pages", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    await newBot(other);
    const made = [];
    for (const name of ['one', 'two', 'three']) made.push(await newBot(tenant, {}, name));
    const page = expectOk(await tenant.as('GET', `${BOTS}?page=1&page_size=2`)).body;
    expect(page.data.map((b: any) => b.name)).toEqual(['three', 'two']);
    expect(page.pagination).toEqual(pagination(3, 1, 2));
    const second = expectOk(await tenant.as('GET', `${BOTS}?page=2&page_size=2`)).body;
    expect(second.data.map((b: any) => b.id)).toEqual([made[0].id]);
    expectError(await tenant.as('GET', `${BOTS}?page_size=101`), 400, 'VALIDATION_ERROR');
  });
});

describe('PUT /bots/{id}', () => {
  it('changes the fields given and keeps the others, the theme field by field', async () => {
    const tenant = await createTenant();
    const bot = await newBot(tenant, {
      chat_history_length: 4,
      theme: { title: 'Old title', position: 'bottom-left' },
    });
    const changed = expectOk(
      await tenant.as('PUT', `${BOTS}/${bot.id}`, {
        body: { name: 'Renamed', configuration: { temperature: 1.5, theme: { title: 'New title' } } },
      }),
    ).body.data;
    expect(changed).toEqual({
      ...bot,
      name: 'Renamed',
      configuration: {
        ...bot.configuration,
        temperature: 1.5,
        theme: { ...bot.configuration.theme, title: 'New title', position: 'bottom-left' },
      },
      updated_at: expect.stringMatching(ISO_TIME),
    });
    expect(changed.configuration.chat_history_length).toBe(4);
    expect(expectOk(await tenant.as('GET', `${BOTS}/${bot.id}`)).body.data).toEqual(changed);
  });

  it('refuses an invalid change and keeps the bot as it was', async () => {
    const tenant = await createTenant();
    const bot = await newBot(tenant);
    const res = expectError(
      await tenant.as('PUT', `${BOTS}/${bot.id}`, {
        body: { configuration: { temperature: 0.5, allowed_origins: ['*'] } },
      }),
      400,
      'VALIDATION_ERROR',
    );
    expect(failingFields(res)).toEqual(['configuration.allowed_origins.0']);
    expect(expectOk(await tenant.as('GET', `${BOTS}/${bot.id}`)).body.data).toEqual(bot);
  });
});

describe('POST /bots/{id}/rotate-key', () => {
  it('gives the bot a new public key and keeps everything else', async () => {
    const tenant = await createTenant();
    const bot = await newBot(tenant);
    const rotated = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/rotate-key`)).body.data;
    expect(rotated.public_key).toMatch(/^pk_[0-9a-f]{40}$/);
    expect(rotated.public_key).not.toBe(bot.public_key);
    expect({ ...rotated, public_key: bot.public_key, updated_at: bot.updated_at }).toEqual(bot);
    const old = await env.DB.prepare('SELECT count(*) AS n FROM bots WHERE public_key = ?')
      .bind(bot.public_key)
      .first();
    expect(old).toEqual({ n: 0 });
  });
});

describe('DELETE /bots/{id}', () => {
  it('deletes the bot with its conversations and messages', async () => {
    const tenant = await createTenant();
    const { bot, conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'Hello there'), 201);
    expectOk(await tenant.as('DELETE', `${BOTS}/${bot.id}`), 204);
    expectError(await tenant.as('GET', `${BOTS}/${bot.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `/api/v1/conversations/${conversation.id}`), 404, 'NOT_FOUND');
    const left = await env.DB.prepare('SELECT count(*) AS n FROM messages WHERE conversation_id = ?')
      .bind(conversation.id)
      .first();
    expect(left).toEqual({ n: 0 });
    expectError(await tenant.as('DELETE', `${BOTS}/${bot.id}`), 404, 'NOT_FOUND');
  });
});

describe('who may manage bots', () => {
  it('members manage private bots; only owners and admins make, change, re-key or delete public ones', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const admin = await addMember(tenant, 'admin');
    const asMember = { as: (m: string, p: string, o = {}) => call(m, p, { ...o, token: member.accessToken }) };
    const asAdmin = { as: (m: string, p: string, o = {}) => call(m, p, { ...o, token: admin.accessToken }) };

    const own = await newBot(asMember);
    expectOk(await asMember.as('PUT', `${BOTS}/${own.id}`, { body: { configuration: { temperature: 1 } } }));
    expectError(
      await asMember.as('POST', BOTS, { body: { name: 'p', configuration: { visibility: 'public' } } }),
      403,
      'FORBIDDEN',
    );
    expectError(
      await asMember.as('PUT', `${BOTS}/${own.id}`, { body: { configuration: { visibility: 'public' } } }),
      403,
      'FORBIDDEN',
    );
    const published = expectOk(
      await asAdmin.as('PUT', `${BOTS}/${own.id}`, { body: { configuration: { visibility: 'public' } } }),
    ).body.data;
    expect(published.configuration.visibility).toBe('public');
    for (const [method, path, body] of [
      ['PUT', `${BOTS}/${own.id}`, { name: 'mine again' }],
      ['POST', `${BOTS}/${own.id}/rotate-key`, undefined],
      ['DELETE', `${BOTS}/${own.id}`, undefined],
    ] as const) {
      expectError(await asMember.as(method, path, { body }), 403, 'FORBIDDEN');
    }
    expect(expectOk(await asMember.as('GET', `${BOTS}/${own.id}`)).body.data).toEqual(published);
    expectOk(await asAdmin.as('POST', `${BOTS}/${own.id}/rotate-key`));
    expectOk(await tenant.as('DELETE', `${BOTS}/${own.id}`), 204);
  });

  it('viewers and read-only API keys read bots but cannot change them', async () => {
    const tenant = await createTenant();
    const bot = await newBot(tenant);
    const viewer = await addMember(tenant, 'viewer');
    expectOk(await call('GET', `${BOTS}/${bot.id}`, { token: viewer.accessToken }));
    const denied = expectError(
      await call('POST', BOTS, { token: viewer.accessToken, body: { name: 'v' } }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expect(denied.body.error.details).toEqual({ required_scope: 'bots:write' });
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'reader', scopes: ['bots:read'] } }),
      201,
    ).body.data.key;
    expect(expectOk(await call('GET', BOTS, { token: key })).body.data.map((b: any) => b.id)).toEqual([bot.id]);
    expectError(await call('DELETE', `${BOTS}/${bot.id}`, { token: key }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await call('GET', BOTS), 401, 'UNAUTHENTICATED');
    // An API key acts with its creator's role: an owner's key may publish.
    const created = expectOk(
      await call('POST', BOTS, { token: tenant.apiKey, body: { name: 'k', configuration: { visibility: 'public' } } }),
      201,
    ).body.data;
    expect(created.configuration.visibility).toBe('public');
  });
});

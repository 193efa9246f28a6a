import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, expectError, expectOk, ISO_TIME, pagination } from '../helpers/harness';
import { BOTS, CONVERSATIONS, newBot, newConversation, send, storedMessages } from './helpers';

describe('conversations', () => {
  it('are started on a bot, belong to the user who started them, and list most recently active first', async () => {
    const tenant = await createTenant();
    const bot = await newBot(tenant, { agent_type: 'plain' });
    const first = expectOk(
      await tenant.as('POST', `${BOTS}/${bot.id}/conversations`, { body: { title: 'Billing question' } }),
      201,
    ).body.data;
    expect(first).toEqual({
      id: expect.stringMatching(/^cnv_[0-9a-f]{32}$/),
      bot_id: bot.id,
      title: 'Billing question',
      user_id: tenant.userId,
      visitor_id: null,
      message_count: 0,
      last_message_at: null,
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: first.created_at,
    });
    const second = expectOk(await tenant.as('POST', `${BOTS}/${bot.id}/conversations`, { body: {} }), 201).body.data;
    expect(second.title).toBeNull();
    // Activity moves a conversation to the top; its first message gives it a title.
    expectOk(await send(tenant, first.id, 'How do I pay?'), 201);
    const list = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/conversations`)).body;
    expect(list.data.map((c: any) => c.id)).toEqual([first.id, second.id]);
    expect(list.pagination).toEqual(pagination(2, 1, 20));
    expect(list.data[0]).toMatchObject({ message_count: 2, title: 'Billing question' });
    expect(list.data[0].last_message_at).toMatch(ISO_TIME);
    expectOk(await send(tenant, second.id, '  Where is   my\ninvoice?  '), 201);
    const got = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${second.id}`)).body.data;
    expect(got).toMatchObject({ title: 'Where is my invoice?', message_count: 2 });
    const page = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/conversations?page_size=1`)).body;
    expect(page.data.map((c: any) => c.id)).toEqual([second.id]);
  });

  it('members and viewers see their own conversations; owners and admins see every one', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const other = await addMember(tenant, 'member');
    const admin = await addMember(tenant, 'admin');
    const bot = await newBot(tenant, { agent_type: 'plain' });
    const start = async (token: string) =>
      expectOk(await call('POST', `${BOTS}/${bot.id}/conversations`, { token, body: {} }), 201).body.data;
    const mine = await start(member.accessToken);
    const theirs = await start(other.accessToken);
    const listed = async (token: string) =>
      expectOk(await call('GET', `${BOTS}/${bot.id}/conversations`, { token }))
        .body.data.map((c: any) => c.id)
        .sort();

    expect(await listed(member.accessToken)).toEqual([mine.id]);
    expect(await listed(admin.accessToken)).toEqual([mine.id, theirs.id].sort());
    expect(await listed(tenant.accessToken)).toEqual([mine.id, theirs.id].sort());
    for (const [method, path, body] of [
      ['GET', `${CONVERSATIONS}/${theirs.id}`, undefined],
      ['GET', `${CONVERSATIONS}/${theirs.id}/messages`, undefined],
      ['POST', `${CONVERSATIONS}/${theirs.id}/messages`, { content: 'hi' }],
      ['DELETE', `${CONVERSATIONS}/${theirs.id}`, undefined],
    ] as const) {
      expectError(await call(method, path, { token: member.accessToken, body }), 404, 'NOT_FOUND');
    }
    expect(await storedMessages(theirs.id)).toEqual([]);
    expectOk(await call('GET', `${CONVERSATIONS}/${theirs.id}`, { token: admin.accessToken }));
    expectOk(await call('DELETE', `${CONVERSATIONS}/${theirs.id}`, { token: admin.accessToken }), 204);
  });

  it('deleting a conversation deletes its messages', async () => {
    const tenant = await createTenant();
    const { conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'Hello'), 201);
    expect(await storedMessages(conversation.id)).toHaveLength(2);
    expectOk(await tenant.as('DELETE', `${CONVERSATIONS}/${conversation.id}`), 204);
    expect(await storedMessages(conversation.id)).toEqual([]);
    expectError(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('DELETE', `${CONVERSATIONS}/${conversation.id}`), 404, 'NOT_FOUND');
  });

  it('need the bot to exist, a valid body, and chat:write to start or delete', async () => {
    const tenant = await createTenant();
    const missing = `bot_${'0'.repeat(32)}`;
    expectError(await tenant.as('POST', `${BOTS}/${missing}/conversations`, { body: {} }), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${BOTS}/${missing}/conversations`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${CONVERSATIONS}/not-an-id`), 400, 'VALIDATION_ERROR');
    const bot = await newBot(tenant);
    const bad = expectError(
      await tenant.as('POST', `${BOTS}/${bot.id}/conversations`, { body: { title: '', visitor: 'x' } }),
      400,
      'VALIDATION_ERROR',
    );
    expect(Object.keys(bad.body.error.details.fields).sort()).toEqual(['(body)', 'title']);
    const viewer = await addMember(tenant, 'viewer');
    const denied = expectError(
      await call('POST', `${BOTS}/${bot.id}/conversations`, { token: viewer.accessToken, body: {} }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    expect(denied.body.error.details).toEqual({ required_scope: 'chat:write' });
    expectOk(await call('GET', `${BOTS}/${bot.id}/conversations`, { token: viewer.accessToken }));
  });
});

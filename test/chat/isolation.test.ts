import { describe, expect, it } from 'vitest';
import { call, createTenant, env, expectError, expectOk } from '../helpers/harness';
import { BOTS, CONVERSATIONS, newConversation, send, storedMessages } from './helpers';

describe('tenant isolation', () => {
  it("another organization's bots, training documents, conversations and messages are 404 on every route, and stay unchanged", async () => {
    const owner = await createTenant();
    const stranger = await createTenant();
    const { bot, conversation } = await newConversation(owner);
    expectOk(await send(owner, conversation.id, 'A private question'), 201);
    const trained = expectOk(
      await owner.as('POST', `${BOTS}/${bot.id}/documents/text`, { body: { title: 'Notes', text: 'Private notes.' } }),
      202,
    ).body.data.document;
    const upload = new FormData();
    upload.append('file', new File(['Intruder notes.'], 'notes.txt'));
    const before = {
      bot: expectOk(await owner.as('GET', `${BOTS}/${bot.id}`)).body.data,
      documents: expectOk(await owner.as('GET', `${BOTS}/${bot.id}/documents`)).body.data,
      messages: await storedMessages(conversation.id),
    };
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `${BOTS}/${bot.id}`],
      ['PUT', `${BOTS}/${bot.id}`, { name: 'taken over' }],
      ['DELETE', `${BOTS}/${bot.id}`],
      ['POST', `${BOTS}/${bot.id}/rotate-key`],
      ['GET', `${BOTS}/${bot.id}/documents`],
      ['POST', `${BOTS}/${bot.id}/documents/text`, { title: 'Intruder', text: 'Intruder notes.' }],
      ['POST', `${BOTS}/${bot.id}/documents/upload`, upload],
      ['GET', `${BOTS}/${bot.id}/documents/${trained.id}`],
      ['DELETE', `${BOTS}/${bot.id}/documents/${trained.id}`],
      ['GET', `${BOTS}/${bot.id}/conversations`],
      ['POST', `${BOTS}/${bot.id}/conversations`, {}],
      ['GET', `${CONVERSATIONS}/${conversation.id}`],
      ['DELETE', `${CONVERSATIONS}/${conversation.id}`],
      ['GET', `${CONVERSATIONS}/${conversation.id}/messages`],
      ['GET', `${CONVERSATIONS}/${conversation.id}/messages?after=${before.messages[0]!.id}`],
      ['POST', `${CONVERSATIONS}/${conversation.id}/messages`, { content: 'let me in' }],
    ];
    for (const token of [stranger.accessToken, stranger.apiKey]) {
      for (const [method, path, body] of routes) {
        const options = body instanceof FormData ? { token, rawBody: body } : { token, body };
        const res = expectError(await call(method, path, options), 404, 'NOT_FOUND');
        expect(JSON.stringify(res.body), `${method} ${path}`).not.toContain(owner.orgId);
      }
    }
    expect(expectOk(await stranger.as('GET', BOTS)).body.data).toEqual([]);
    expect(expectOk(await owner.as('GET', `${BOTS}/${bot.id}`)).body.data).toEqual(before.bot);
    expect(expectOk(await owner.as('GET', `${BOTS}/${bot.id}/documents`)).body.data).toEqual(before.documents);
    expect(await storedMessages(conversation.id)).toEqual(before.messages);
    const conversations = await env.DB.prepare('SELECT count(*) AS n FROM conversations WHERE bot_id = ?')
      .bind(bot.id)
      .first();
    expect(conversations).toEqual({ n: 1 });
  });
});

import { describe, expect, it } from 'vitest';
import { addMember, call, createTenant, env, expectError, expectOk, readResponse } from '../helpers/harness';
import { CONVERSATIONS, newConversation, send } from './helpers';

const CITATIONS = [
  { document_id: 'kbd_1', chunk_id: 'chk_1', title: 'Opening hours', snippet: 'Open from nine to five', score: 0.9 },
  { document_id: 'kbd_2', chunk_id: 'chk_2', title: 'Holidays', snippet: 'Closed on Sundays', score: 0.5 },
];

const download = async (token: string, path: string) => {
  const { exports } = await import('cloudflare:workers');
  return exports.default.fetch(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}` } }),
  );
};

describe('GET /conversations/{id}/export', () => {
  it('downloads the conversation and every message with its citations, as JSON (default) or Markdown', async () => {
    const tenant = await createTenant();
    const { bot, conversation } = await newConversation(tenant);
    const first = expectOk(await send(tenant, conversation.id, 'When do you open?'), 201).body.data;
    expectOk(await send(tenant, conversation.id, 'And on Sundays?'), 201);
    // A cited reply, as a trained rag bot stores it.
    await env.DB.prepare('UPDATE messages SET citations = ? WHERE id = ?')
      .bind(JSON.stringify(CITATIONS), first.assistant_message.id)
      .run();
    const listed = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}/messages`)).body.data;
    const current = expectOk(await tenant.as('GET', `${CONVERSATIONS}/${conversation.id}`)).body.data;

    const res = await download(tenant.accessToken, `${CONVERSATIONS}/${conversation.id}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="conversation-${conversation.id}.json"; filename*=UTF-8''conversation-${conversation.id}.json`,
    );
    const body = (await res.json()) as any;
    expect(body).toEqual({
      conversation: current,
      bot: { id: bot.id, name: bot.name },
      messages: listed,
      truncated: false,
      exported_at: expect.any(String),
    });
    expect(body.messages).toHaveLength(4);
    expect(body.messages[1].citations).toEqual(CITATIONS);

    const md = await download(tenant.apiKey, `${CONVERSATIONS}/${conversation.id}/export?format=md`);
    expect(md.status).toBe(200);
    expect(md.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(md.headers.get('content-disposition')).toContain(`filename="conversation-${conversation.id}.md"`);
    const text = await md.text();
    expect(text.startsWith(`# ${current.title}\n`)).toBe(true);
    expect(text).toContain(`- Bot: ${bot.name} (\`${bot.id}\`)`);
    expect(text).toContain('- Messages: 4');
    expect(text).toContain(`## User · ${listed[0].created_at}\n\nWhen do you open?`);
    expect(text).toContain(`## Assistant · ${listed[1].created_at}\n\n${listed[1].content}`);
    expect(text).toContain('Sources:\n\n1. Opening hours — Open from nine to five\n2. Holidays — Closed on Sundays');
    expect(text.indexOf('When do you open?')).toBeLessThan(text.indexOf('And on Sundays?'));
  });

  it('is 404 for another organization and for a conversation the caller may not see; refuses unknown formats', async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    const member = await addMember(tenant, 'member');
    const { conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'Private question'), 201);
    for (const token of [stranger.accessToken, stranger.apiKey, member.accessToken]) {
      for (const format of ['json', 'md']) {
        const res = await readResponse(
          await download(token, `${CONVERSATIONS}/${conversation.id}/export?format=${format}`),
        );
        expectError(res, 404, 'NOT_FOUND');
        expect(JSON.stringify(res.body)).not.toContain('Private question');
      }
    }
    expectError(
      await call('GET', `${CONVERSATIONS}/${conversation.id}/export?format=pdf`, { token: tenant.accessToken }),
      400,
      'VALIDATION_ERROR',
    );
    expectError(
      await call('GET', `${CONVERSATIONS}/cnv_${'0'.repeat(32)}/export`, { token: tenant.accessToken }),
      404,
      'NOT_FOUND',
    );
    const doc = expectOk(await call('GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/conversations/{id}/export'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'format', in: 'query' })]),
    );
  });
});

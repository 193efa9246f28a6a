import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { handleFetch } from '../../workers/api/app';
import { call, env, expectOk, uniqueEmail } from '../helpers/harness';

const sendMail = async (to: string, subject: string, createdAt = new Date().toISOString()) => {
  const id = `mail_${crypto.randomUUID().replaceAll('-', '')}`;
  await env.DB.prepare('INSERT INTO dev_outbox (id, recipient, subject, body, created_at) VALUES (?, ?, ?, ?, ?)')
    .bind(id, to, subject, `body of ${subject}`, createdAt)
    .run();
  return id;
};

const outbox = (query: string) => call('GET', `/api/v1/dev/outbox${query}`);

describe('GET /dev/outbox (local only)', () => {
  it('lists mail to one address, newest first', async () => {
    const to = uniqueEmail('mailbox');
    await sendMail(to, 'older', '2026-01-01T00:00:00.000Z');
    const newestId = await sendMail(to, 'newer', '2026-01-02T00:00:00.000Z');
    await sendMail(uniqueEmail('someone-else'), 'not mine');
    const res = expectOk(await outbox(`?to=${encodeURIComponent(to)}`));
    expect(res.body.data).toEqual([
      { id: newestId, to, subject: 'newer', body: 'body of newer', created_at: '2026-01-02T00:00:00.000Z' },
      expect.objectContaining({ subject: 'older' }),
    ]);
    expect(res.body.pagination).toMatchObject({ total: 2, page: 1, page_size: 20 });
    // Addresses are matched the way accounts store them (lower-cased).
    expect(expectOk(await outbox(`?to=${encodeURIComponent(to.toUpperCase())}`)).body.data).toHaveLength(2);
  });

  it('breaks ties within one millisecond by insertion order', async () => {
    const to = uniqueEmail('tie');
    const at = new Date().toISOString();
    await sendMail(to, 'first', at);
    await sendMail(to, 'second', at);
    const res = expectOk(await outbox(`?to=${encodeURIComponent(to)}`));
    expect(res.body.data.map((m: { subject: string }) => m.subject)).toEqual(['second', 'first']);
  });

  it('paginates and validates the query', async () => {
    const to = uniqueEmail('pages');
    for (let i = 0; i < 3; i++) await sendMail(to, `mail ${i}`, `2026-01-0${i + 1}T00:00:00.000Z`);
    const page2 = expectOk(await outbox(`?to=${encodeURIComponent(to)}&page=2&page_size=2`));
    expect(page2.body.data.map((m: { subject: string }) => m.subject)).toEqual(['mail 0']);
    expect(page2.body.pagination).toMatchObject({ total: 3, total_pages: 2, has_previous: true, has_next: false });
    expect((await outbox('?page=0')).status).toBe(400);
    const unknown = await outbox('?recipient=x');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('does not exist in production: 404 like any unknown route, whatever the query', async () => {
    const production = { ...env, ENVIRONMENT: 'production' };
    for (const path of ['/api/v1/dev/outbox', '/api/v1/dev/outbox?page=0']) {
      const ctx = createExecutionContext();
      const res = await handleFetch(new Request(`http://localhost${path}`), production, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(404);
      const body = await res.json<{ success: boolean; error: { code: string } }>();
      expect(body).toMatchObject({ success: false, error: { code: 'NOT_FOUND' } });
    }
  });
});

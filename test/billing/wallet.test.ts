import { AiProviderError } from '@flowspark/ai';
import { billingPlans, generationEstimate } from '@flowspark/billing';
import { afterEach, describe, expect, it } from 'vitest';
import { newConversation, openSocket, restoreProvider, send, spyProvider } from '../chat/helpers';
import { createTenant as createDocumentTenant, runToEnd } from '../documents/helpers';
import { addMember, call, createTenant, env, expectError, expectOk, type TestTenant } from '../helpers/harness';
import { eventually, readJob } from '../jobs/helpers';
import { addText, createTenant as createKbTenant } from '../kb/helpers';

afterEach(restoreProvider);

const TOKENS = '/api/v1/billing/tokens';
const FREE_ALLOWANCE = billingPlans().free.monthly_tokens;

const walletOf = (orgId: string) => env.TOKEN_WALLET.get(env.TOKEN_WALLET.idFromName(orgId));

/** Holds all but `keep` available tokens in a long reservation, so the wallet "holds" only `keep`. */
const leaveAvailable = async (orgId: string, keep: number) => {
  const view = await walletOf(orgId).view(orgId);
  const outcome = await walletOf(orgId).reserve(orgId, {
    amount: view.available - keep,
    feature: 'test.hold',
    ttl_ms: 60 * 60 * 1000,
  });
  if (!outcome.ok) throw new Error('hold refused');
  return outcome.reservation_id;
};

const ledgerRows = async (orgId: string) =>
  (
    await env.DB.prepare('SELECT * FROM token_ledger WHERE org_id = ? ORDER BY seq')
      .bind(orgId)
      .all<Record<string, any>>()
  ).results;

const usageRows = async (orgId: string) =>
  (
    await env.DB.prepare('SELECT * FROM usage_events WHERE org_id = ? ORDER BY created_at')
      .bind(orgId)
      .all<Record<string, any>>()
  ).results;

const expectLedgerSumsToBalance = async (tenant: TestTenant) => {
  const wallet = expectOk(await tenant.as('GET', TOKENS)).body.data;
  const rows = await ledgerRows(tenant.orgId);
  expect(rows.reduce((sum, r) => sum + r.amount, 0)).toBe(wallet.balance);
  expect(rows.every((r) => r.balance_after >= 0)).toBe(true);
  expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
  return wallet;
};

describe('GET /billing/tokens', () => {
  it("a new organization has its plan's monthly allowance, granted once, and a ledger that sums to it", async () => {
    const tenant = await createTenant();
    const first = expectOk(await tenant.as('GET', TOKENS)).body;
    expect(first.data).toMatchObject({
      plan: 'free',
      balance: FREE_ALLOWANCE,
      reserved: 0,
      available: FREE_ALLOWANCE,
      allowance: FREE_ALLOWANCE,
      allowance_source: 'grant',
    });
    const month = new Date().toISOString().slice(0, 7);
    expect(first.data.period_start).toBe(`${month}-01T00:00:00.000Z`);
    expect(Date.parse(first.data.period_end)).toBeGreaterThan(Date.now());
    expect(first.data.ledger).toEqual([
      expect.objectContaining({ kind: 'grant', amount: FREE_ALLOWANCE, balance_after: FREE_ALLOWANCE, seq: 1 }),
    ]);
    expect(first.data.ledger[0].reference).toBe(`allowance:${month}`);
    expect(first.pagination).toMatchObject({ total: 1, page: 1 });
    // Read again: nothing granted twice.
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.ledger).toHaveLength(1);
    await expectLedgerSumsToBalance(tenant);
  });

  it('is per organization and needs billing:read', async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    spyProvider();
    const { conversation } = await newConversation(tenant);
    expectOk(await send(tenant, conversation.id, 'Hello there'), 201);
    expect(expectOk(await other.as('GET', TOKENS)).body.data.balance).toBe(FREE_ALLOWANCE);
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.balance).toBeLessThan(FREE_ALLOWANCE);
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'bots only', scopes: ['bots:read'] } }),
      201,
    ).body.data.key;
    expectError(await call('GET', TOKENS, { token: key }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await call('GET', TOKENS), 401, 'UNAUTHENTICATED');
  });
});

describe('AI operations pay from the wallet', () => {
  it('a chat reply is debited its actual usage and recorded as a usage event', async () => {
    const tenant = await createTenant();
    spyProvider();
    const { conversation } = await newConversation(tenant);
    const reply = expectOk(await send(tenant, conversation.id, 'What is on the menu today?'), 201).body.data
      .assistant_message;
    const used = reply.usage.total_tokens;
    expect(used).toBeGreaterThan(0);
    const wallet = await expectLedgerSumsToBalance(tenant);
    expect(wallet).toMatchObject({ balance: FREE_ALLOWANCE - used, reserved: 0 });
    expect(wallet.ledger[0]).toMatchObject({ kind: 'debit', amount: -used, feature: 'chat.reply' });
    const [event] = await usageRows(tenant.orgId);
    expect(event).toMatchObject({
      feature: 'chat.reply',
      user_id: tenant.userId,
      input_tokens: reply.usage.prompt_tokens,
      output_tokens: reply.usage.completion_tokens,
      total_tokens: used,
      charged_tokens: used,
      resource_id: conversation.id,
      model: reply.model,
    });
    expect(event!.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('a knowledge-base answer is debited its usage; one that finds nothing asks no model and costs nothing', async () => {
    const tenant = await createKbTenant();
    await addText(tenant, { title: 'Parking', text: 'Visitors park on level two of the garage behind building C.' });
    const answer = expectOk(await tenant.as('POST', '/api/v1/kb/query', { body: { query: 'Where do visitors park?' } }))
      .body.data;
    expect(answer.model).not.toBeNull();
    const wallet = await expectLedgerSumsToBalance(tenant);
    expect(wallet.balance).toBe(FREE_ALLOWANCE - answer.usage.total_tokens);
    expect(wallet.ledger[0]).toMatchObject({ kind: 'debit', feature: 'kb.answer' });
    const none = expectOk(
      await tenant.as('POST', '/api/v1/kb/query', { body: { query: 'Quantum chromodynamics lattice' } }),
    ).body.data;
    expect(none.model).toBeNull();
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.balance).toBe(wallet.balance);
    await leaveAvailable(tenant.orgId, 10);
    expectError(
      await tenant.as('POST', '/api/v1/kb/query', { body: { query: 'Where do visitors park?' } }),
      402,
      'INSUFFICIENT_TOKENS',
    );
    const streamed = await tenant.as('POST', '/api/v1/kb/query', {
      body: { query: 'Where do visitors park?' },
      headers: { accept: 'text/event-stream' },
    });
    expectError(streamed, 402, 'INSUFFICIENT_TOKENS');
  });

  it('not enough tokens: 402 INSUFFICIENT_TOKENS with required and available, before the provider is asked', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const { conversation } = await newConversation(tenant);
    await leaveAvailable(tenant.orgId, 50);
    const refused = expectError(await send(tenant, conversation.id, 'Tell me everything'), 402, 'INSUFFICIENT_TOKENS');
    expect(refused.body.error.details.available).toBe(50);
    expect(refused.body.error.details.required).toBeGreaterThan(1_024);
    expect(asked).toEqual([]);
    // Nothing stored, nothing charged.
    expect(expectOk(await tenant.as('GET', `/api/v1/conversations/${conversation.id}/messages`)).body.data).toEqual([]);
    expect(await usageRows(tenant.orgId)).toEqual([]);
    const stream = await tenant.as('POST', `/api/v1/conversations/${conversation.id}/messages`, {
      body: { content: 'And streamed?' },
      headers: { accept: 'text/event-stream' },
    });
    expectError(stream, 402, 'INSUFFICIENT_TOKENS');
    expect(asked).toEqual([]);
  });

  it('over the conversation socket: the reply is charged, and refused with a failed frame when tokens run out', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const { conversation } = await newConversation(tenant);
    const socket = await openSocket(conversation.id, { authorization: `Bearer ${tenant.accessToken}` });
    await socket.waitFor((f) => f.some((x) => x.type === 'ready'));
    socket.ws.send(JSON.stringify({ type: 'message', content: 'Hello over the socket' }));
    const frames = await socket.waitFor((f) => f.filter((x) => x.type === 'message').length >= 2);
    const reply = frames.filter((x) => x.type === 'message').at(-1)!.message;
    const wallet = await expectLedgerSumsToBalance(tenant);
    expect(wallet.balance).toBe(FREE_ALLOWANCE - reply.usage.total_tokens);
    expect((await usageRows(tenant.orgId))[0]).toMatchObject({ feature: 'chat.reply', resource_id: conversation.id });

    await leaveAvailable(tenant.orgId, 20);
    const before = asked.length;
    socket.ws.send(JSON.stringify({ type: 'message', content: 'And again?' }));
    const failed = (await socket.waitFor((f) => f.some((x) => x.type === 'failed'))).find((x) => x.type === 'failed')!;
    expect(failed).toMatchObject({ code: 'INSUFFICIENT_TOKENS', details: { available: 20 } });
    expect(asked.length).toBe(before);
    socket.ws.close();
  });

  it('a provider failure releases the reservation: nothing charged', async () => {
    const tenant = await createTenant();
    spyProvider({
      chat: async () => {
        throw new AiProviderError('down', { provider: 'local', retryable: true });
      },
    });
    const { conversation } = await newConversation(tenant);
    expectError(await send(tenant, conversation.id, 'Anyone there?'), 503, 'SERVICE_UNAVAILABLE');
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data).toMatchObject({ balance: FREE_ALLOWANCE, reserved: 0 });
  });

  it('50 concurrent generations against a wallet holding enough for 10: exactly 10 are accepted, the rest 402', async () => {
    const tenant = await createDocumentTenant({ plan: 'pro' });
    const body = { title: 'Quarterly note', format: 'docx', prompt: 'A one-page note about the quarter.' };
    const estimate = generationEstimate([body.prompt, body.title, '', '{}']);
    const hold = await leaveAvailable(tenant.orgId, 10 * estimate + estimate - 1);
    const before = expectOk(await tenant.as('GET', TOKENS)).body.data;

    const results = await Promise.all(
      Array.from({ length: 50 }, () => tenant.as('POST', '/api/v1/documents/generate', { body })),
    );
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r.body.error).toMatchObject({ code: 'INSUFFICIENT_TOKENS', details: { required: estimate } });
      expect(r.body.error.details.available).toBeLessThan(estimate);
    }
    const during = expectOk(await tenant.as('GET', TOKENS)).body.data;
    expect(during.reserved - before.reserved).toBe(10 * estimate);
    expect(during.balance).toBe(before.balance);
    // Only the accepted ones were written.
    const docs = await env.DB.prepare('SELECT count(*) AS n FROM documents WHERE org_id = ?')
      .bind(tenant.orgId)
      .first();
    expect(docs).toEqual({ n: 10 });

    // The jobs run and settle: each is debited what it used, the rest of its reservation is free again.
    let used = 0;
    for (const r of accepted) {
      const { doc } = await runToEnd(tenant, r.body.data);
      expect(doc.status).toBe('completed');
      used += doc.tokens_used;
    }
    expect(used).toBeGreaterThan(0);
    const after = await expectLedgerSumsToBalance(tenant);
    expect(after.balance).toBe(before.balance - used);
    expect(after.reserved).toBe(before.reserved);
    const debits = (await ledgerRows(tenant.orgId)).filter((r) => r.kind === 'debit');
    expect(debits).toHaveLength(10);
    expect(debits.every((d) => d.feature === 'document.generate')).toBe(true);
    const events = await usageRows(tenant.orgId);
    expect(events.filter((e) => e.feature === 'document.generate' && e.job_id)).toHaveLength(10);
    await walletOf(tenant.orgId).release(tenant.orgId, hold);
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.reserved).toBe(0);
  });

  it('a generation cancelled before it ran frees its reservation; a job of a given model reserves nothing', async () => {
    const tenant = await createDocumentTenant();
    const created = expectOk(
      await tenant.as('POST', '/api/v1/documents/generate', { body: { title: 'T', format: 'pdf', prompt: 'A note.' } }),
      202,
    ).body.data;
    const job = await readJob(created.job_id);
    expect(JSON.parse(job.input).reservation_id).toMatch(/^rsv_[0-9a-f]{32}$/);
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.reserved).toBeGreaterThan(0);
    expectOk(await tenant.as('POST', `/api/v1/jobs/${created.job_id}/cancel`));
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data).toMatchObject({ reserved: 0, balance: FREE_ALLOWANCE });

    const given = expectOk(
      await tenant.as('POST', '/api/v1/documents/generate', {
        body: { title: 'Given', format: 'pdf', content: { title: 'Given', sections: [{ heading: 'A', blocks: [] }] } },
      }),
      202,
    ).body.data;
    expect(JSON.parse((await readJob(given.job_id)).input).reservation_id).toBeUndefined();
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.reserved).toBe(0);
  });

  it('an image costs its flat price, held when requested and charged when done', async () => {
    const tenant = await createDocumentTenant();
    const created = expectOk(
      await tenant.as('POST', '/api/v1/images/generate', {
        body: { prompt: 'a lighthouse at dusk', width: 256, height: 256 },
      }),
      202,
    ).body.data;
    expect(expectOk(await tenant.as('GET', TOKENS)).body.data.reserved).toBe(1_000);
    await leaveAvailable(tenant.orgId, 999);
    expectError(
      await tenant.as('POST', '/api/v1/images/generate', { body: { prompt: 'another one' } }),
      402,
      'INSUFFICIENT_TOKENS',
    );
    expect(created.job_id).toMatch(/^job_/);
  });
});

describe('the wallet object', () => {
  it('settles a reservation once, credits a reference once, and never goes below zero', async () => {
    const tenant = await createTenant();
    const wallet = walletOf(tenant.orgId);
    const usage = {
      feature: 'kb.answer',
      model: 'm',
      input_tokens: 10,
      output_tokens: 20,
      total_tokens: 30,
      estimated: false,
      latency_ms: 5,
      user_id: null,
      job_id: null,
      resource_id: null,
    };
    const r = await wallet.reserve(tenant.orgId, { amount: 100, feature: 'kb.answer', ttl_ms: 60_000 });
    if (!r.ok) throw new Error('refused');
    expect(await wallet.settle(tenant.orgId, r.reservation_id, usage)).toMatchObject({ charged: 30 });
    expect(await wallet.settle(tenant.orgId, r.reservation_id, usage)).toMatchObject({ charged: 0 });
    expect(
      await wallet.credit(tenant.orgId, { kind: 'purchase', amount: 500, reference: 'invoice:in_1' }),
    ).toMatchObject({
      applied: true,
    });
    expect(
      await wallet.credit(tenant.orgId, { kind: 'purchase', amount: 500, reference: 'invoice:in_1' }),
    ).toMatchObject({
      applied: false,
    });
    const view = await wallet.view(tenant.orgId);
    expect(view.balance).toBe(FREE_ALLOWANCE - 30 + 500);
    // A usage far beyond the balance is charged down to zero, not below.
    const big = await wallet.reserve(tenant.orgId, { amount: 10, feature: 'kb.answer', ttl_ms: 60_000 });
    if (!big.ok) throw new Error('refused');
    await wallet.settle(tenant.orgId, big.reservation_id, { ...usage, total_tokens: 10 * FREE_ALLOWANCE });
    expect((await wallet.view(tenant.orgId)).balance).toBe(0);
    // Falling below a tenth of the allowance tells the admins.
    const notes = await eventually(async () => {
      const list = expectOk(await tenant.as('GET', '/api/v1/notifications')).body.data;
      return list.length > 0 ? list : undefined;
    });
    expect(notes).toEqual([
      expect.objectContaining({ type: 'billing.tokens.low', data: expect.objectContaining({ balance: 0 }) }),
    ]);
    await expectLedgerSumsToBalance(tenant);
    expect(await usageRows(tenant.orgId)).toHaveLength(2);
    expect(await wallet.reserve(tenant.orgId, { amount: 1, feature: 'kb.answer', ttl_ms: 60_000 })).toEqual({
      ok: false,
      required: 1,
      available: 0,
    });
    const misnamed = await wallet.view('org_someone_else').then(
      () => null,
      (err: unknown) => String(err),
    );
    expect(misnamed).toContain('This wallet belongs to another organization');
  });
});

describe('analytics', () => {
  it('usage per day, feature and model, and this period’s summary, for owners and admins only', async () => {
    const tenant = await createTenant();
    const stranger = await createTenant();
    spyProvider();
    const { conversation } = await newConversation(tenant);
    const replies = [];
    for (const question of ['First question here', 'Second question here']) {
      replies.push(expectOk(await send(tenant, conversation.id, question), 201).body.data.assistant_message);
    }
    const total = replies.reduce((sum, r) => sum + r.usage.total_tokens, 0);
    const today = new Date().toISOString().slice(0, 10);

    const byDay = expectOk(await tenant.as('GET', '/api/v1/analytics/usage')).body.data;
    expect(byDay.group_by).toBe('day');
    expect(byDay.buckets).toEqual([
      expect.objectContaining({ key: today, events: 2, total_tokens: total, charged_tokens: total }),
    ]);
    const byFeature = expectOk(await tenant.as('GET', '/api/v1/analytics/usage?group_by=feature')).body.data;
    expect(byFeature.buckets.map((b: any) => [b.key, b.events])).toEqual([['chat.reply', 2]]);
    const byModel = expectOk(await tenant.as('GET', '/api/v1/analytics/usage?group_by=model')).body.data;
    expect(byModel.buckets.map((b: any) => b.key)).toEqual([replies[0].model]);
    const past = expectOk(await tenant.as('GET', '/api/v1/analytics/usage?from=2020-01-01&to=2020-02-01')).body.data;
    expect(past).toMatchObject({ from: '2020-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z', buckets: [] });

    const summary = expectOk(await tenant.as('GET', '/api/v1/analytics/summary')).body.data;
    expect(summary).toMatchObject({
      plan: 'free',
      balance: FREE_ALLOWANCE - total,
      allowance: FREE_ALLOWANCE,
      period: { events: 2, total_tokens: total, charged_tokens: total },
      by_feature: [expect.objectContaining({ key: 'chat.reply', events: 2 })],
    });
    expect(expectOk(await stranger.as('GET', '/api/v1/analytics/usage')).body.data.buckets).toEqual([]);

    const member = await addMember(tenant, 'member');
    expectError(await call('GET', '/api/v1/analytics/usage', { token: member.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    expectError(
      await call('GET', '/api/v1/analytics/summary', { token: member.accessToken }),
      403,
      'INSUFFICIENT_SCOPE',
    );
    const admin = await addMember(tenant, 'admin');
    expectOk(await call('GET', '/api/v1/analytics/summary', { token: admin.accessToken }));
    for (const query of [
      'group_by=week',
      'from=2026-13-01',
      'from=2027-01-01&to=2026-01-01',
      'from=2020-01-01&to=2022-01-01',
      'x=1',
    ]) {
      expectError(await tenant.as('GET', `/api/v1/analytics/usage?${query}`), 400, 'VALIDATION_ERROR');
    }
  });
});

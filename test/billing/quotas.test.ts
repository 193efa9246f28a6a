import { describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { expectError, expectOk, recordingClient, type TestTenant } from '../helpers/harness';

const client = recordingClient();

/** The Worker with small plan quotas, so that a test reaches them in a few requests. */
const limited: Env = {
  ...client.env,
  BILLING_PLANS: JSON.stringify({ free: { max_bots: 1, max_documents: 2, storage_bytes: 1_000 } }),
};
const as = (tenant: TestTenant, method: string, path: string, body?: unknown) =>
  client.call(method, path, { token: tenant.accessToken, body }, limited);

const text = (title: string, length = 60) => ({ title, text: `${title}: ${'x'.repeat(length)}` });

describe('plan quotas', () => {
  it('bots: past the plan’s number, 403 QUOTA_EXCEEDED naming the quota, its limit and the use', async () => {
    const tenant = await client.createTenant();
    expectOk(await as(tenant, 'POST', '/api/v1/bots', { name: 'First' }), 201);
    const refused = expectError(await as(tenant, 'POST', '/api/v1/bots', { name: 'Second' }), 403, 'QUOTA_EXCEEDED');
    expect(refused.body.error.details).toEqual({ quota: 'bots', limit: 1, used: 1, plan: 'free' });
    expect(refused.body.error.message).toBe('The free plan allows at most 1 bot');
    // Another organization has its own count.
    const other = await client.createTenant();
    expectOk(await as(other, 'POST', '/api/v1/bots', { name: 'Theirs' }), 201);
  });

  it('documents of the knowledge base and of bots count together; the same content again is not refused', async () => {
    const tenant = await client.createTenant();
    const bot = expectOk(await as(tenant, 'POST', '/api/v1/bots', { name: 'Bot' }), 201).body.data;
    expectOk(await as(tenant, 'POST', '/api/v1/kb/documents/text', text('One')), 202);
    expectOk(await as(tenant, 'POST', `/api/v1/bots/${bot.id}/documents/text`, text('Two')), 202);
    const refused = expectError(
      await as(tenant, 'POST', '/api/v1/kb/documents/text', text('Three')),
      403,
      'QUOTA_EXCEEDED',
    );
    expect(refused.body.error.details).toMatchObject({ quota: 'documents', limit: 2, used: 2 });
    expectError(await as(tenant, 'POST', `/api/v1/bots/${bot.id}/documents/text`, text('Four')), 403, 'QUOTA_EXCEEDED');
    const again = expectOk(await as(tenant, 'POST', '/api/v1/kb/documents/text', text('One')), 200).body.data;
    expect(again.duplicate).toBe(true);
  });

  it('storage: a document that would pass the plan’s bytes is refused', async () => {
    const tenant = await client.createTenant();
    expectOk(await as(tenant, 'POST', '/api/v1/kb/documents/text', text('Small', 500)), 202);
    const refused = expectError(
      await as(tenant, 'POST', '/api/v1/kb/documents/text', text('Large', 600)),
      403,
      'QUOTA_EXCEEDED',
    );
    expect(refused.body.error.details).toMatchObject({ quota: 'storage_bytes', limit: 1_000, used: 507 });
  });
});

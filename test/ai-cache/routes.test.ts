import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../../workers/env';
import { restoreProvider } from '../chat/helpers';
import {
  addMember,
  call,
  createTenant,
  env,
  expectError,
  expectOk,
  fetchWith,
  ISO_TIME,
  readResponse,
  toRequest,
} from '../helpers/harness';
import { ask, CACHE, chat, countingProvider } from './helpers';

afterEach(restoreProvider);

describe('GET /ai/cache', () => {
  it('an empty cache: no entries, no counts, the settings in effect', async () => {
    const tenant = await createTenant();
    const res = expectOk(await tenant.as('GET', CACHE));
    expect(res.body.data).toEqual({
      enabled: true,
      entries: 0,
      max_entries: 5000,
      hits: 0,
      exact_hits: 0,
      similar_hits: 0,
      misses: 0,
      hit_rate: null,
      tokens_saved: 0,
      counting_since: null,
      oldest_entry_at: null,
      newest_entry_at: null,
      similarity_threshold: 0.95,
      embedding_model: 'local-hash-384',
      ttl_seconds: 604800,
    });
  });

  it('entries, hits (exact and similar), misses, tokens saved and the oldest entry', async () => {
    const tenant = await createTenant();
    countingProvider();
    await chat(tenant, ask('How do I enable two-factor authentication?'));
    await chat(tenant, ask('How do I delete my account?'));
    await chat(tenant, ask('How do I enable two-factor authentication?'));
    await chat(tenant, ask('how can I enable two-factor authentication'));
    const data = expectOk(await tenant.as('GET', CACHE)).body.data;
    expect(data).toMatchObject({
      entries: 2,
      hits: 2,
      exact_hits: 1,
      similar_hits: 1,
      misses: 2,
      hit_rate: 0.5,
      tokens_saved: 100,
    });
    expect(data.oldest_entry_at).toMatch(ISO_TIME);
    expect(Date.parse(data.newest_entry_at)).toBeGreaterThanOrEqual(Date.parse(data.oldest_entry_at));
    expect(data.counting_since).toMatch(ISO_TIME);
  });

  it('shows the configured threshold, lifetime and cap', async () => {
    const tenant = await createTenant();
    const configured = {
      ...env,
      AI_CACHE: 'off',
      AI_CACHE_SIMILARITY: '0.8',
      AI_CACHE_TTL_SECONDS: '3600',
      AI_CACHE_MAX_ENTRIES: '100',
    } as Env;
    const res = await readResponse(await fetchWith(toRequest('GET', CACHE, { token: tenant.accessToken }), configured));
    expect(expectOk(res).body.data).toMatchObject({
      enabled: false,
      similarity_threshold: 0.8,
      ttl_seconds: 3600,
      max_entries: 100,
    });
    const model = { ...env, AI_EMBEDDINGS: 'model' } as Env;
    const modelRes = await readResponse(await fetchWith(toRequest('GET', CACHE, { token: tenant.accessToken }), model));
    expect(expectOk(modelRes).body.data).toMatchObject({
      embedding_model: 'local-use-lite-512',
      similarity_threshold: 0.99,
    });
  });
});

describe('DELETE /ai/cache', () => {
  it("purges the organization's answers (and counts): the next call asks the provider again", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const asked = countingProvider();
    await chat(tenant, ask('How do I restore a deleted file?'));
    await chat(tenant, ask('How do I upgrade to the pro plan?'));
    await chat(other, ask('How do I restore a deleted file?'));
    expect((await chat(tenant, ask('How do I restore a deleted file?'))).cache).toBe('hit');

    const purged = expectOk(await tenant.as('DELETE', CACHE));
    expect(purged.body).toMatchObject({ success: true, data: { deleted: 2 } });
    expect(expectOk(await tenant.as('GET', CACHE)).body.data).toMatchObject({ entries: 0, hits: 0, misses: 0 });
    expect((await chat(tenant, ask('How do I restore a deleted file?'))).cache).toBe('miss');
    expect(asked).toHaveLength(4);
    // Another organization's cache is untouched.
    expect((await chat(other, ask('How do I restore a deleted file?'))).cache).toBe('hit');
    expect(expectOk(await tenant.as('DELETE', CACHE)).body.data).toEqual({ deleted: 1 });
    expect(expectOk(await tenant.as('DELETE', CACHE)).body.data).toEqual({ deleted: 0 });
  });

  it('a cache that cannot be reached is 503 SERVICE_UNAVAILABLE', async () => {
    const tenant = await createTenant();
    const broken = {
      ...env,
      SEMANTIC_CACHE: {
        idFromName: (name: string) => env.SEMANTIC_CACHE.idFromName(name),
        get: () => ({
          purge: async () => {
            throw new Error('unreachable');
          },
          stats: async () => {
            throw new Error('unreachable');
          },
        }),
      },
    } as unknown as Env;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    for (const method of ['DELETE', 'GET']) {
      const res = await readResponse(await fetchWith(toRequest(method, CACHE, { token: tenant.accessToken }), broken));
      expectError(res, 503, 'SERVICE_UNAVAILABLE');
      expect(res.body.error.details).toEqual({ reason: 'AI_CACHE_UNAVAILABLE' });
    }
    warn.mockRestore();
  });
});

describe('/ai/cache access', () => {
  it('needs credentials: 401 without', async () => {
    expectError(await call('GET', CACHE), 401, 'UNAUTHENTICATED');
    expectError(await call('DELETE', CACHE), 401, 'UNAUTHENTICATED');
  });

  it('owners and admins only: a member or viewer is 403; an admin may read and purge', async () => {
    const tenant = await createTenant();
    for (const role of ['member', 'viewer'] as const) {
      const user = await addMember(tenant, role);
      expectError(await call('GET', CACHE, { token: user.accessToken }), 403, 'INSUFFICIENT_SCOPE');
      expectError(await call('DELETE', CACHE, { token: user.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    }
    const admin = await addMember(tenant, 'admin');
    expectOk(await call('GET', CACHE, { token: admin.accessToken }));
    expectOk(await call('DELETE', CACHE, { token: admin.accessToken }));
  });

  it('an API key needs analytics:read to read and ai_cache:write to purge', async () => {
    const tenant = await createTenant();
    const key = async (scopes: string[]) =>
      expectOk(await tenant.as('POST', '/api/v1/api-keys', { body: { name: scopes.join(' '), scopes } }), 201).body.data
        .key as string;
    const reader = await key(['analytics:read']);
    expectOk(await call('GET', CACHE, { token: reader }));
    expectError(await call('DELETE', CACHE, { token: reader }), 403, 'INSUFFICIENT_SCOPE');
    const purger = await key(['ai_cache:write']);
    expectOk(await call('DELETE', CACHE, { token: purger }));
    expectError(await call('GET', CACHE, { token: purger }), 403, 'INSUFFICIENT_SCOPE');
    expectOk(await call('DELETE', CACHE, { token: tenant.apiKey }));
  });

  it('is in the OpenAPI document with its schemas', async () => {
    const doc = expectOk(await call('GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/ai/cache'].get).toMatchObject({
      operationId: 'getAiCache',
      security: [{ bearerAuth: [] }],
    });
    expect(doc.paths['/api/v1/ai/cache'].delete).toMatchObject({ operationId: 'purgeAiCache' });
    expect(Object.keys(doc.paths['/api/v1/ai/cache'].delete.responses)).toEqual(
      expect.arrayContaining(['200', '401', '403', '503']),
    );
    expect(doc.components.schemas.AiCachePurged.properties).toHaveProperty('deleted');
    expect(Object.keys(doc.components.schemas.UsageTotals.properties)).toEqual(
      expect.arrayContaining(['cache_hits', 'cache_misses', 'cache_bypasses']),
    );
  });
});

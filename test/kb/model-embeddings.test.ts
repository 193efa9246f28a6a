import { createAiProvider, hashEmbedding } from '@flowspark/ai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Env } from '../../workers/env';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { deliver, readJob } from '../jobs/helpers';
import {
  addText,
  call,
  createTenant,
  expectError,
  expectOk,
  ftsRows,
  ingest,
  KB,
  marker,
  search,
  sentMessages,
  storedChunks,
  textAccepted,
  vectorStats,
} from './helpers';

/** Nothing listens on the discard port: a connection there is refused at once. */
const UNREACHABLE = 'http://127.0.0.1:9';
const SERVER = 'http://embeddings.test';
const noWait = { sleep: async () => {} };

/** AI_EMBEDDINGS=model through the Worker's configuration, with its fetch given (or the real one). */
const useModel = (url: string, fetchFn?: typeof fetch) =>
  setAiProviderFactory((env: Env) =>
    createAiProvider(
      { ...env, AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: url, AI_MAX_RETRIES: '0' },
      fetchFn ? { fetch: fetchFn } : {},
      noWait,
    ),
  );

/** The server's protocol, answered with 512-dimension unit vectors of the words. */
const fakeServer: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  if (request.url !== `${SERVER}/embed` || request.method !== 'POST') return new Response('no', { status: 404 });
  const { texts } = (await request.json()) as { texts: string[] };
  const vectors = texts.map((t) => hashEmbedding(t, 512));
  return Response.json({ model: 'local-use-lite-512', dimensions: 512, vectors });
};

const searchRaw = (tenant: { accessToken: string }, q: string, mode: string) =>
  call('GET', `${KB}/search?${new URLSearchParams({ q, mode })}`, { token: tenant.accessToken });

afterEach(() => setAiProviderFactory(null));

describe('the local embedding model (AI_EMBEDDINGS=model)', () => {
  it('an unreachable server: vector and hybrid search answer 503 with the reason, keyword search still works', async () => {
    const tenant = await createTenant();
    const word = marker();
    await addText(tenant, { title: 'Tides', text: `High tide comes twice a day on this coast ${word}.` });
    useModel(UNREACHABLE);
    for (const mode of ['vector', 'hybrid']) {
      const res = expectError(await searchRaw(tenant, 'when is high tide', mode), 503, 'SERVICE_UNAVAILABLE');
      expect(res.body.error.message).toContain(`The local embedding model server at ${UNREACHABLE} is not reachable`);
      expect(res.body.error.details).toMatchObject({ reason: 'AI_PROVIDER_ERROR', provider: 'local', retryable: true });
    }
    const keyword = await search(tenant, { q: word, mode: 'keyword' });
    expect(keyword.hits).toHaveLength(1);
  });

  it('an unreachable server during ingestion: the job is retried later and nothing of the document is searchable', async () => {
    useModel(UNREACHABLE);
    const tenant = await createTenant();
    const word = marker();
    const accepted = await textAccepted(tenant, {
      title: 'Reefs',
      text: `Coral reefs need warm, clear water ${word}.`,
    });
    const first = await deliver(sentMessages.find((m) => m.job_id === accepted.job_id)!);
    expect(first.retried).toBe(true);
    expect(await readJob(accepted.job_id)).toMatchObject({ status: 'queued', error_code: 'AI_PROVIDER_ERROR' });
    const doc = expectOk(await call('GET', `${KB}/documents/${accepted.document.id}`, { token: tenant.accessToken }));
    expect(doc.body.data.status).toBe('processing');
    expect((await search(tenant, { q: word, mode: 'keyword' })).hits).toEqual([]);
    expect((await vectorStats(tenant.orgId)).count).toBe(0);

    // The server is up: the retry indexes the document with the model's vectors, once.
    useModel(SERVER, fakeServer);
    const { doc: done, job } = await ingest(tenant, accepted);
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    expect(done).toMatchObject({ status: 'indexed', embedding_model: 'local-use-lite-512' });
    const chunks = await storedChunks(done.id);
    expect(await ftsRows(tenant.orgId, done.id)).toHaveLength(chunks.length);
    expect(await vectorStats(tenant.orgId)).toMatchObject({ count: chunks.length, dims: 512 });
    const hit = (await search(tenant, { q: 'coral reefs warm water', mode: 'vector' })).hits[0]!;
    expect(hit).toMatchObject({ document_id: done.id, vector_rank: 1 });
  });

  it('vectors of another model are never compared: a tenant indexed with hash vectors gets no vector hits', async () => {
    const tenant = await createTenant();
    const word = marker();
    await addText(tenant, { title: 'Trains', text: `The night train leaves at eleven ${word}.` });
    useModel(SERVER, fakeServer);
    expect((await search(tenant, { q: 'night train', mode: 'vector' })).hits).toEqual([]);
    const hybrid = await search(tenant, { q: `night train ${word}`, mode: 'hybrid' });
    expect(hybrid.hits).toHaveLength(1);
    expect(hybrid.hits[0]).not.toHaveProperty('vector_rank');
  });
});

import { type AiProvider, createLocalProvider } from '@flowspark/ai';
import { afterEach, describe, expect, it } from 'vitest';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { vectorIndex } from '../../workers/lib/vectors';
import { addMember } from '../helpers/harness';
import { deliver, eventually, readJob } from '../jobs/helpers';
import {
  call,
  createTenant,
  env,
  expectError,
  expectOk,
  ftsRows,
  indexed,
  ingest,
  KB,
  keywordIndexOf,
  r2Keys,
  search,
  sentMessages,
  storedChunks,
  type TestTenant,
  textAccepted,
  vectorStats,
} from './helpers';

const addText = async (tenant: TestTenant, body: Record<string, unknown>) =>
  indexed(tenant, await textAccepted(tenant, body));

const longText = (sentences: number) =>
  Array.from(
    { length: sentences },
    (_, i) => `Paragraph ${i + 1} explains how the glacier moved ${i + 3} metres during season ${i + 1}.`,
  ).join('\n\n');

afterEach(() => setAiProviderFactory(null));

describe('knowledge-base documents: list, get, delete, re-index', () => {
  it('lists newest first with status, tag and category filters', async () => {
    const tenant = await createTenant();
    const a = await addText(tenant, { title: 'A', text: 'Alpha text.', tags: ['Red'], category: 'one' });
    const b = await addText(tenant, { title: 'B', text: 'Beta text.', tags: ['blue'], category: 'two' });
    const pending = (await textAccepted(tenant, { title: 'C', text: 'Gamma text.', tags: ['red'] })).document;

    const all = expectOk(await tenant.as('GET', `${KB}/documents`)).body;
    expect(all.data.map((d: any) => d.id)).toEqual([pending.id, b.id, a.id]);
    expect(all.pagination).toMatchObject({ total: 3, page: 1, page_size: 20 });
    expect(Object.keys(all.data[0]).sort()).toEqual(
      [
        'id',
        'title',
        'source_type',
        'filename',
        'detected_type',
        'size_bytes',
        'sha256',
        'status',
        'error_code',
        'error_message',
        'tags',
        'category',
        'page_count',
        'chunk_count',
        'char_count',
        'embedding_model',
        'chunking',
        'job_id',
        'created_at',
        'updated_at',
        'indexed_at',
      ].sort(),
    );
    const ids = async (query: string) =>
      expectOk(await tenant.as('GET', `${KB}/documents?${query}`)).body.data.map((d: any) => d.id);
    expect(await ids('status=indexed')).toEqual([b.id, a.id]);
    expect(await ids('status=uploading')).toEqual([pending.id]);
    expect(await ids('tag=RED')).toEqual([pending.id, a.id]);
    expect(await ids('category=two')).toEqual([b.id]);
    expect(await ids('page=2&page_size=2')).toEqual([a.id]);
    expectError(await tenant.as('GET', `${KB}/documents?status=done`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${KB}/documents?colour=red`), 400, 'VALIDATION_ERROR');
    expectError(await call('GET', `${KB}/documents`), 401, 'UNAUTHENTICATED');
    const other = await createTenant();
    expect(expectOk(await other.as('GET', `${KB}/documents`)).body.data).toEqual([]);
  });

  it('deletes the file, chunks, keyword rows and vectors: nothing is found afterwards in any mode', async () => {
    const tenant = await createTenant();
    const keep = await addText(tenant, { title: 'Keep', text: 'Penguins live in the southern hemisphere.' });
    const doc = await addText(tenant, {
      title: 'Volcanoes',
      text: `${longText(30)}\n\nThe volcano Eyjafjallajokull erupted in 2010 and grounded flights.`,
    });
    const chunks = await storedChunks(doc.id);
    expect(chunks.length).toBeGreaterThan(1);
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      expect((await search(tenant, { q: 'Eyjafjallajokull erupted', mode })).hits[0]?.document_id, mode).toBe(doc.id);
    }
    const before = (await vectorStats(tenant.orgId)).count;
    expect(before).toBe(chunks.length + 1);

    const res = await tenant.as('DELETE', `${KB}/documents/${doc.id}`);
    expect(res.status).toBe(204);
    expectError(await tenant.as('GET', `${KB}/documents/${doc.id}`), 404, 'NOT_FOUND');
    expect(await storedChunks(doc.id)).toEqual([]);
    expect(await ftsRows(tenant.orgId, doc.id)).toEqual([]);
    expect(await r2Keys(tenant.orgId, doc.id)).toEqual([]);
    expect((await vectorStats(tenant.orgId)).count).toBe(1);
    // The local index itself holds no vector of the document any more.
    const [probe] = (await createLocalProvider().embed(['Eyjafjallajokull erupted glacier'])).vectors;
    const direct = await vectorIndex(env).query(tenant.orgId, probe!, { topK: 20 });
    expect(direct.map((m) => m.metadata.document_id)).toEqual([keep.id]);
    for (const mode of ['keyword', 'vector', 'hybrid']) {
      const hits = (await search(tenant, { q: 'Eyjafjallajokull erupted glacier', mode, top_k: 20 })).hits;
      expect(
        hits.filter((h) => h.document_id === doc.id),
        mode,
      ).toEqual([]);
    }
    const answer = expectOk(
      await tenant.as('POST', `${KB}/query`, { body: { query: 'When did Eyjafjallajokull erupt?' } }),
    );
    expect(answer.body.data.citations).toEqual([]);
    expectError(await tenant.as('DELETE', `${KB}/documents/${doc.id}`), 404, 'NOT_FOUND');
  });

  it('deleting a document that is still queued cancels its job', async () => {
    const tenant = await createTenant();
    const accepted = await textAccepted(tenant, { title: 'Queued', text: 'Waiting in the queue.' });
    expect((await tenant.as('DELETE', `${KB}/documents/${accepted.document.id}`)).status).toBe(204);
    expect(await readJob(accepted.job_id)).toMatchObject({ status: 'cancelled' });
    await deliver(sentMessages.find((m) => m.job_id === accepted.job_id)!);
    expect(await storedChunks(accepted.document.id)).toEqual([]);
    expect((await vectorStats(tenant.orgId)).count).toBe(0);
  });

  it('deleting a document while it is being embedded stops the job and leaves no vector behind', async () => {
    const local = createLocalProvider();
    let entered = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: AiProvider = {
      ...local,
      embed: async (texts, opts) => {
        entered = true;
        await gate;
        return local.embed(texts, opts);
      },
    };
    setAiProviderFactory(() => slow);
    const tenant = await createTenant();
    const accepted = await textAccepted(tenant, { title: 'Doomed', text: longText(20) });
    const running = deliver(sentMessages.find((m) => m.job_id === accepted.job_id)!);
    await eventually(() => (entered ? true : undefined));
    expect(await storedChunks(accepted.document.id)).not.toEqual([]);
    expect((await tenant.as('DELETE', `${KB}/documents/${accepted.document.id}`)).status).toBe(204);
    release();
    await running;
    expect(await readJob(accepted.job_id)).toMatchObject({ status: 'cancelled' });
    expect(await storedChunks(accepted.document.id)).toEqual([]);
    expect(await ftsRows(tenant.orgId, accepted.document.id)).toEqual([]);
    expect((await vectorStats(tenant.orgId)).count).toBe(0);
  });

  it('re-indexes with a new chunk size: new chunks replace the old ones, never duplicated', async () => {
    const tenant = await createTenant();
    const doc = await addText(tenant, { title: 'Glaciers', text: longText(40) });
    const first = await storedChunks(doc.id);
    expect(doc.chunking).toEqual({ chunk_size: 1000, chunk_overlap: 150 });

    const res = expectOk(
      await tenant.as('POST', `${KB}/documents/${doc.id}/reindex`, { body: { chunk_size: 200, chunk_overlap: 20 } }),
      202,
    );
    expect(res.body.data.document).toMatchObject({ id: doc.id, status: 'processing', job_id: res.body.data.job_id });
    expect(res.body.data.job_id).not.toBe(doc.job_id);
    // While it is re-indexed the document is out of search.
    expect((await search(tenant, { q: 'glacier moved', mode: 'keyword' })).hits).toEqual([]);
    // A second request while the job is live is refused.
    expectError(await tenant.as('POST', `${KB}/documents/${doc.id}/reindex`), 409, 'CONFLICT');

    const { doc: after, job } = await ingest(tenant, { document: doc, job_id: res.body.data.job_id });
    expect(job.status).toBe('done');
    expect(after).toMatchObject({ status: 'indexed', chunking: { chunk_size: 200, chunk_overlap: 20 } });
    const second = await storedChunks(doc.id);
    expect(second.length).toBeGreaterThan(first.length * 3);
    expect(after.chunk_count).toBe(second.length);
    expect(second.every((c) => c.text.length <= 200)).toBe(true);
    expect(new Set(second.map((c) => c.id)).size).toBe(second.length);
    expect(await ftsRows(tenant.orgId, doc.id)).toHaveLength(second.length);
    expect((await vectorStats(tenant.orgId)).count).toBe(second.length);

    // Back to large chunks: the extra vectors go away too. No body: the last chunking is kept.
    const again = expectOk(
      await tenant.as('POST', `${KB}/documents/${doc.id}/reindex`, { body: { chunk_size: 1000 } }),
      202,
    );
    const { doc: third } = await ingest(tenant, { document: doc, job_id: again.body.data.job_id });
    expect(third.chunking).toEqual({ chunk_size: 1000, chunk_overlap: 20 });
    expect((await storedChunks(doc.id)).length).toBe(third.chunk_count);
    expect((await vectorStats(tenant.orgId)).count).toBe(third.chunk_count);
    const same = expectOk(await tenant.as('POST', `${KB}/documents/${doc.id}/reindex`), 202);
    const { doc: fourth } = await ingest(tenant, { document: doc, job_id: same.body.data.job_id });
    expect(fourth.chunking).toEqual(third.chunking);
    expect(fourth.chunk_count).toBe(third.chunk_count);
    expect((await search(tenant, { q: 'glacier moved', mode: 'hybrid' })).hits[0]?.document_id).toBe(doc.id);
  });

  it('a redelivered job message indexes nothing twice', async () => {
    const tenant = await createTenant();
    const accepted = await textAccepted(tenant, { title: 'Twice', text: longText(20) });
    const { doc } = await ingest(tenant, accepted);
    const again = await deliver(sentMessages.find((m) => m.job_id === accepted.job_id)!);
    expect(again.acked).toBe(true);
    expect(await storedChunks(doc.id)).toHaveLength(doc.chunk_count);
    expect((await vectorStats(tenant.orgId)).count).toBe(doc.chunk_count);
  });

  it('a job delivered again after it committed shows the document to search, if that had not happened', async () => {
    const tenant = await createTenant();
    const accepted = await textAccepted(tenant, { title: 'Glacier notes', text: longText(5) });
    const { doc } = await ingest(tenant, accepted);
    const found = async () => (await search(tenant, { q: 'glacier moved', mode: 'keyword' })).hits.length;
    expect(await found()).toBeGreaterThan(0);
    // As if the delivery had ended after D1 recorded the document indexed, before the keyword index
    // heard of it and before the job was marked done: its lease ran out, so the queue delivers it again.
    await keywordIndexOf(tenant.orgId).hide(tenant.orgId, doc.id, accepted.job_id);
    await env.DB.prepare("UPDATE jobs SET status = 'running', lease_until = ?1, finished_at = NULL WHERE id = ?2")
      .bind(new Date(Date.now() - 1000).toISOString(), accepted.job_id)
      .run();
    expect(await found()).toBe(0);
    const again = await deliver(sentMessages.find((m) => m.job_id === accepted.job_id)!);
    expect(again.acked).toBe(true);
    expect(await readJob(accepted.job_id)).toMatchObject({ status: 'done' });
    expect(await found()).toBeGreaterThan(0);
    expect(await storedChunks(doc.id)).toHaveLength(doc.chunk_count);
  });

  it('validates re-index options; roles and tenants: viewers cannot write, another tenant gets 404', async () => {
    const tenant = await createTenant();
    const doc = await addText(tenant, { title: 'Mine', text: 'Only my organization may see this.' });
    const path = `${KB}/documents/${doc.id}`;
    for (const body of [
      { chunk_size: 50 },
      { chunk_size: 9000 },
      { chunk_size: 200, chunk_overlap: 150 },
      { chunk_overlap: -1 },
      { chunk_size: 'big' },
      { colour: 'red' },
    ]) {
      expectError(await tenant.as('POST', `${path}/reindex`, { body }), 400, 'VALIDATION_ERROR');
    }
    expectError(await tenant.as('GET', `${KB}/documents/not-an-id`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${KB}/documents/kbd_${'0'.repeat(32)}`), 404, 'NOT_FOUND');

    const viewer = await addMember(tenant, 'viewer');
    expect(expectOk(await call('GET', path, { token: viewer.accessToken })).body.data.id).toBe(doc.id);
    expectError(await call('DELETE', path, { token: viewer.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await call('POST', `${path}/reindex`, { token: viewer.accessToken }), 403, 'INSUFFICIENT_SCOPE');
    expectError(await call('DELETE', path), 401, 'UNAUTHENTICATED');
    expectError(await call('GET', path), 401, 'UNAUTHENTICATED');
    expectError(await call('POST', `${path}/reindex`), 401, 'UNAUTHENTICATED');
    expectError(
      await tenant.as('POST', `${path}/reindex`, {
        rawBody: '{"chunk_size":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'MALFORMED_JSON',
    );

    const other = await createTenant();
    expectError(await other.as('GET', path), 404, 'NOT_FOUND');
    expectError(await other.as('DELETE', path), 404, 'NOT_FOUND');
    expectError(await other.as('POST', `${path}/reindex`), 404, 'NOT_FOUND');
    expect(expectOk(await tenant.as('GET', path)).body.data.status).toBe('indexed');
    expect(await storedChunks(doc.id)).toHaveLength(doc.chunk_count);

    const member = await addMember(tenant, 'member');
    expect((await call('DELETE', path, { token: member.accessToken })).status).toBe(204);
  });
});

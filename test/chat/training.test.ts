import { NO_CONTEXT_REPLY } from '@flowspark/chat';
import { afterEach, describe, expect, it } from 'vitest';
import { makePdf } from '../helpers/files';
import { addMember, env, expectError, expectOk, recordingClient, type TestTenant } from '../helpers/harness';
import { deliver, eventually, readJob } from '../jobs/helpers';
import { BOTS, CONVERSATIONS, restoreProvider, spyProvider } from './helpers';

afterEach(restoreProvider);

/** Requests go through an env whose JOBS queue records messages; `train` delivers them. */
const client = recordingClient();
const { call, createTenant } = client;

type Accepted = { document: Record<string, any>; job_id: string; duplicate: boolean };

const ragBot = async (tenant: TestTenant, configuration: Record<string, unknown> = {}, name = 'Handbook bot') =>
  expectOk(
    await tenant.as('POST', BOTS, { body: { name, configuration: { agent_type: 'rag', ...configuration } } }),
    201,
  ).body.data;

const addText = (tenant: Pick<TestTenant, 'as'>, botId: string, body: Record<string, unknown>) =>
  tenant.as('POST', `${BOTS}/${botId}/documents/text`, { body });

const uploadFile = (tenant: TestTenant, botId: string, fields: Record<string, string | Blob>, token?: string) => {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  return call('POST', `${BOTS}/${botId}/documents/upload`, { token: token ?? tenant.accessToken, rawBody: form });
};

/** Delivers the document's recorded job message and waits until the document has ended. */
const train = async (tenant: TestTenant, botId: string, accepted: Accepted) => {
  const message = client.sent.find((m) => m.job_id === accepted.job_id);
  if (!message) throw new Error(`no queue message was sent for ${accepted.job_id}`);
  await deliver(message);
  return eventually(async () => {
    const job = await readJob(accepted.job_id);
    if (!['done', 'error', 'cancelled'].includes(job.status)) return undefined;
    const doc = expectOk(await tenant.as('GET', `${BOTS}/${botId}/documents/${accepted.document.id}`)).body.data;
    return doc.status === 'indexed' || doc.status === 'failed' ? doc : undefined;
  }, 15_000);
};

const trainText = async (tenant: TestTenant, botId: string, title: string, text: string) => {
  const doc = await train(tenant, botId, expectOk(await addText(tenant, botId, { title, text }), 202).body.data);
  expect(doc.status).toBe('indexed');
  return doc;
};

const ask = async (tenant: TestTenant, botId: string, content: string) => {
  const conversation = expectOk(await tenant.as('POST', `${BOTS}/${botId}/conversations`, { body: {} }), 201).body.data;
  return expectOk(await tenant.as('POST', `${CONVERSATIONS}/${conversation.id}/messages`, { body: { content } }), 201)
    .body.data.assistant_message;
};

const VACATION =
  'Vacation policy. Every employee receives twenty-five vacation days per calendar year. Unused vacation days expire on March 31.';
const ORCHIDS = 'Greenhouse notes. Orchids need bright indirect light and should be watered once a week.';
const PARKING = 'Parking rules. Visitors park on level two of the garage; badges open the barrier.';

describe('training a bot', () => {
  it('texts and files are indexed into the bot, listed with their status, and the bot answers from them with citations', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const bot = await ragBot(tenant);

    const accepted = expectOk(await addText(tenant, bot.id, { title: 'Vacation', text: VACATION }), 202).body.data;
    expect(accepted).toMatchObject({ duplicate: false, document: { status: 'uploading', title: 'Vacation' } });
    expect(accepted.job_id).toMatch(/^job_/);
    const job = await readJob(accepted.job_id);
    expect(job).toMatchObject({ type: 'kb.ingest', status: 'queued' });

    const pdf = new File(
      [await makePdf([{ lines: ['Expense reports are due on the fifth working day of each month.'] }])],
      'expenses.pdf',
      {
        type: 'application/pdf',
      },
    );
    const uploaded = expectOk(await uploadFile(tenant, bot.id, { file: pdf }), 202).body.data;
    expect(uploaded.document).toMatchObject({ title: 'expenses', filename: 'expenses.pdf', detected_type: 'pdf' });

    const listedBefore = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/documents`)).body;
    expect(listedBefore.data.map((d: any) => [d.id, d.status])).toEqual([
      [uploaded.document.id, 'uploading'],
      [accepted.document.id, 'uploading'],
    ]);

    expect(await train(tenant, bot.id, accepted)).toMatchObject({ status: 'indexed', chunk_count: 1 });
    expect(await train(tenant, bot.id, uploaded)).toMatchObject({ status: 'indexed', page_count: 1 });
    const indexed = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/documents?status=indexed`)).body.data;
    expect(indexed.map((d: any) => d.id).sort()).toEqual([accepted.document.id, uploaded.document.id].sort());

    const reply = await ask(tenant, bot.id, 'How many vacation days does an employee receive?');
    expect(reply.content).toContain('twenty-five vacation days');
    expect(reply.citations).toHaveLength(1);
    expect(reply.citations[0]).toMatchObject({
      document_id: accepted.document.id,
      title: 'Vacation',
      page_number: null,
    });
    expect(reply.citations[0].chunk_id).toMatch(/^chk_[0-9a-f]{32}$/);
    expect(reply.citations[0].snippet).toContain('vacation days');
    // The model was given the passage as a numbered source.
    expect(asked.at(-1)!.messages[0]!.content).toContain('[1] Vacation\nVacation policy.');

    const fromPdf = await ask(tenant, bot.id, 'When are expense reports due?');
    expect(fromPdf.citations).toEqual([
      expect.objectContaining({ document_id: uploaded.document.id, title: 'expenses', page_number: 1 }),
    ]);
  });

  it('a bot answers only from its own documents: not the knowledge base, not another bot', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const handbook = await ragBot(tenant, {}, 'Handbook');
    const garden = await ragBot(tenant, {}, 'Garden');
    await trainText(tenant, handbook.id, 'Vacation', VACATION);
    await trainText(tenant, garden.id, 'Orchids', ORCHIDS);
    // The same parking text in the knowledge base.
    const kbDoc = expectOk(
      await tenant.as('POST', '/api/v1/kb/documents/text', { body: { title: 'Parking', text: PARKING } }),
      202,
    ).body.data;
    const message = client.sent.find((m) => m.job_id === kbDoc.job_id)!;
    await deliver(message);
    await eventually(async () => ((await readJob(kbDoc.job_id)).status === 'done' ? true : undefined));

    for (const [bot, question] of [
      [handbook, 'How should orchids be watered?'],
      [handbook, 'Where do visitors park in the garage?'],
      [garden, 'How many vacation days are there?'],
    ] as const) {
      const before = asked.length;
      const reply = await ask(tenant, bot.id, question);
      expect(reply, `${bot.name}: ${question}`).toMatchObject({ content: NO_CONTEXT_REPLY, citations: [] });
      expect(asked.length).toBe(before);
    }
    expect((await ask(tenant, garden.id, 'How should orchids be watered?')).citations).toHaveLength(1);

    // The bots' documents are not the knowledge base's.
    const kbList = expectOk(await tenant.as('GET', '/api/v1/kb/documents')).body.data;
    expect(kbList.map((d: any) => d.title)).toEqual(['Parking']);
    const kbSearch = expectOk(await tenant.as('GET', '/api/v1/kb/search?q=vacation%20orchids&mode=keyword')).body.data;
    expect(kbSearch.hits).toEqual([]);
    const [vacation] = expectOk(await tenant.as('GET', `${BOTS}/${handbook.id}/documents`)).body.data;
    expectError(await tenant.as('GET', `/api/v1/kb/documents/${vacation.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('DELETE', `/api/v1/kb/documents/${vacation.id}`), 404, 'NOT_FOUND');
    // Nor another bot's.
    expectError(await tenant.as('GET', `${BOTS}/${garden.id}/documents/${vacation.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('DELETE', `${BOTS}/${garden.id}/documents/${vacation.id}`), 404, 'NOT_FOUND');
    expectError(await tenant.as('GET', `${BOTS}/${handbook.id}/documents/${kbDoc.document.id}`), 404, 'NOT_FOUND');
  });

  it('the same content is one document per bot: a second copy is a duplicate, another bot or the knowledge base may have it', async () => {
    const tenant = await createTenant();
    const first = await ragBot(tenant);
    const second = await ragBot(tenant);
    const original = expectOk(await addText(tenant, first.id, { title: 'Vacation', text: VACATION }), 202).body.data;
    const again = expectOk(await addText(tenant, first.id, { title: 'Copy', text: VACATION }), 200).body.data;
    expect(again).toMatchObject({ duplicate: true, job_id: original.job_id, document: { id: original.document.id } });
    const other = expectOk(await addText(tenant, second.id, { title: 'Vacation', text: VACATION }), 202).body.data;
    expect(other.document.id).not.toBe(original.document.id);
    const kb = expectOk(
      await tenant.as('POST', '/api/v1/kb/documents/text', { body: { title: 'Vacation', text: VACATION } }),
      202,
    ).body.data;
    expect(kb.duplicate).toBe(false);
  });

  it('deleting a document stops the bot answering from it and leaves nothing of it behind', async () => {
    const tenant = await createTenant();
    spyProvider();
    const bot = await ragBot(tenant);
    const doc = await trainText(tenant, bot.id, 'Vacation', VACATION);
    expect((await ask(tenant, bot.id, 'How many vacation days?')).citations).toHaveLength(1);

    expect((await tenant.as('DELETE', `${BOTS}/${bot.id}/documents/${doc.id}`)).status).toBe(204);
    expect(await ask(tenant, bot.id, 'How many vacation days?')).toMatchObject({ content: NO_CONTEXT_REPLY });
    expectError(await tenant.as('GET', `${BOTS}/${bot.id}/documents/${doc.id}`), 404, 'NOT_FOUND');
    expect(await leftovers(tenant.orgId, bot.id, doc.id)).toEqual(NOTHING_LEFT);
  });

  it('a document is re-indexed with new chunking; it leaves the bot’s answers until its new job has run', async () => {
    const tenant = await createTenant();
    spyProvider();
    const bot = await ragBot(tenant);
    const other = await ragBot(tenant);
    const long = Array.from({ length: 12 }, (_, i) => `Rule ${i + 1}: ${VACATION}`).join('\n\n');
    const doc = await trainText(tenant, bot.id, 'Vacation rules', long);
    expect(doc.chunking).toEqual({ chunk_size: 1000, chunk_overlap: 150 });

    const body = { chunk_size: 400, chunk_overlap: 50 };
    const path = `${BOTS}/${bot.id}/documents/${doc.id}/reindex`;
    expectError(await tenant.as('POST', `${BOTS}/${other.id}/documents/${doc.id}/reindex`, { body }), 404, 'NOT_FOUND');
    const accepted = expectOk(await tenant.as('POST', path, { body }), 202).body.data;
    expect(accepted.document.status).toBe('processing');
    expectError(await tenant.as('POST', path, { body }), 409, 'CONFLICT');
    expect(await ask(tenant, bot.id, 'How many vacation days?')).toMatchObject({ content: NO_CONTEXT_REPLY });

    const reindexed = await train(tenant, bot.id, accepted);
    expect(reindexed).toMatchObject({ status: 'indexed', chunking: body });
    expect(reindexed.chunk_count).toBeGreaterThan(doc.chunk_count);
    expect((await ask(tenant, bot.id, 'How many vacation days?')).citations.length).toBeGreaterThan(0);
  });

  it('deleting the bot deletes its documents, files and indexes', async () => {
    const tenant = await createTenant();
    const bot = await ragBot(tenant);
    const doc = await trainText(tenant, bot.id, 'Vacation', VACATION);
    // One still waiting for its job: deleted too, its job cancelled.
    const waiting = expectOk(await addText(tenant, bot.id, { title: 'Orchids', text: ORCHIDS }), 202).body.data;
    expect(await leftovers(tenant.orgId, bot.id, doc.id)).toMatchObject({ rows: 1, files: 1, vectors: 1, keywords: 1 });

    expect((await tenant.as('DELETE', `${BOTS}/${bot.id}`)).status).toBe(204);
    expect(await leftovers(tenant.orgId, bot.id, doc.id)).toEqual(NOTHING_LEFT);
    expect(await leftovers(tenant.orgId, bot.id, waiting.document.id)).toMatchObject({ rows: 0, files: 0 });
    expect((await readJob(waiting.job_id)).status).toBe('cancelled');
  });

  it('a file that cannot be read fails with the reason on the document', async () => {
    const tenant = await createTenant();
    const bot = await ragBot(tenant);
    const broken = new File(['%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\ngarbage\n'], 'broken.pdf');
    const accepted = expectOk(await uploadFile(tenant, bot.id, { file: broken }), 202).body.data;
    const doc = await train(tenant, bot.id, accepted);
    expect(doc).toMatchObject({ status: 'failed', error_code: 'CORRUPT' });
    const failed = expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/documents?status=failed`)).body.data;
    expect(failed.map((d: any) => d.id)).toEqual([doc.id]);
  });

  it('validates input: a missing or empty file, an unknown type, a blank text, unknown fields', async () => {
    const tenant = await createTenant();
    const bot = await ragBot(tenant);
    expectError(await uploadFile(tenant, bot.id, { title: 'No file' }), 400, 'VALIDATION_ERROR');
    expectError(await uploadFile(tenant, bot.id, { file: new File([], 'empty.txt') }), 400, 'VALIDATION_ERROR');
    const png = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0])], 'x.png');
    expectError(await uploadFile(tenant, bot.id, { file: png }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectError(
      await uploadFile(tenant, bot.id, { file: new File(['hi there'], 'a.txt'), tags: 'x' }),
      400,
      'VALIDATION_ERROR',
    );
    expectError(await addText(tenant, bot.id, { title: 'Blank', text: '   ' }), 400, 'VALIDATION_ERROR');
    expectError(await addText(tenant, bot.id, { text: VACATION }), 400, 'VALIDATION_ERROR');
    expectError(await addText(tenant, bot.id, { title: 'x', text: VACATION, category: 'hr' }), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${BOTS}/${bot.id}/documents?status=done`), 400, 'VALIDATION_ERROR');
    expectError(await tenant.as('GET', `${BOTS}/${bot.id}/documents/not-an-id`), 400, 'VALIDATION_ERROR');
    expect(expectOk(await tenant.as('GET', `${BOTS}/${bot.id}/documents`)).body.data).toEqual([]);
  });

  it('members train private bots; only owners and admins train public ones; viewers only read', async () => {
    const tenant = await createTenant();
    const as = (user: { accessToken: string }) => ({
      as: (method: string, path: string, options = {}) => call(method, path, { ...options, token: user.accessToken }),
    });
    const member = as(await addMember(tenant, 'member'));
    const viewer = as(await addMember(tenant, 'viewer'));
    const privateBot = await ragBot(tenant);
    const publicBot = await ragBot(tenant, { visibility: 'public', allowed_origins: ['https://shop.example'] });

    expectOk(await addText(member, privateBot.id, { title: 'Vacation', text: VACATION }), 202);
    const refused = expectError(
      await addText(member, publicBot.id, { title: 'Vacation', text: VACATION }),
      403,
      'FORBIDDEN',
    );
    expect(refused.body.error.message).toBe('Only owners and admins can train a public bot');
    const owned = expectOk(await addText(tenant, publicBot.id, { title: 'Vacation', text: VACATION }), 202).body.data;
    expectError(await member.as('DELETE', `${BOTS}/${publicBot.id}/documents/${owned.document.id}`), 403, 'FORBIDDEN');

    expectError(await addText(viewer, privateBot.id, { title: 'Orchids', text: ORCHIDS }), 403, 'INSUFFICIENT_SCOPE');
    expect(expectOk(await viewer.as('GET', `${BOTS}/${publicBot.id}/documents`)).body.data).toHaveLength(1);
  });
});

const NOTHING_LEFT = { rows: 0, chunks: 0, files: 0, vectors: 0, keywords: 0 };

/** What is left of a bot document: its row, chunks, files, vectors and keyword-index rows. */
const leftovers = async (orgId: string, botId: string, documentId: string) => {
  const count = async (sql: string) => (await env.DB.prepare(sql).bind(documentId).first<{ n: number }>())?.n ?? 0;
  const files = await env.FILES.list({ prefix: `tenants/${orgId}/kb/${documentId}/` });
  const vectors = await env.VECTOR_INDEX.get(env.VECTOR_INDEX.idFromName(botId)).stats();
  const keywords = await env.KEYWORD_INDEX.get(env.KEYWORD_INDEX.idFromName(botId)).rows(documentId);
  return {
    rows: await count('SELECT count(*) AS n FROM kb_documents WHERE id = ?'),
    chunks: await count('SELECT count(*) AS n FROM kb_chunks WHERE document_id = ?'),
    files: files.objects.length,
    vectors: vectors.count,
    keywords: keywords.length,
  };
};

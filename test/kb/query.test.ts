import { type AiProvider, AiProviderError, type ChatRequest, createLocalProvider } from '@flowspark/ai';
import { afterEach, describe, expect, it } from 'vitest';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { addMember } from '../helpers/harness';
import {
  call,
  createTenant,
  env,
  expectError,
  expectOk,
  fileOf,
  indexed,
  KB,
  makePdf,
  rawCall,
  type TestTenant,
  textAccepted,
  uploadAccepted,
} from './helpers';

const addText = async (tenant: TestTenant, body: Record<string, unknown>) =>
  indexed(tenant, await textAccepted(tenant, body));

/** The local provider, recording what it is asked; `chat`/`chatStream` may be replaced. */
const spyProvider = (overrides: Partial<AiProvider> = {}) => {
  const local = createLocalProvider();
  const asked: { chat: ChatRequest[]; stream: ChatRequest[] } = { chat: [], stream: [] };
  const provider: AiProvider = {
    ...local,
    chat: (req) => {
      asked.chat.push(req);
      return (overrides.chat ?? local.chat)(req);
    },
    chatStream: (req) => {
      asked.stream.push(req);
      return (overrides.chatStream ?? local.chatStream)(req);
    },
  };
  setAiProviderFactory(() => provider);
  return asked;
};

afterEach(() => setAiProviderFactory(null));

const manual = async (tenant: TestTenant) =>
  indexed(
    tenant,
    await uploadAccepted(tenant, {
      file: fileOf(
        await makePdf([
          { heading: 'Installation', lines: ['Mount the turbine controller on a dry wall.'] },
          {
            heading: 'Maintenance',
            lines: ['Replace the hydraulic filter every six months.', 'Check the oil level weekly.'],
          },
        ]),
        'Turbine manual.pdf',
      ),
    }),
  );

interface SseEvent {
  event: string;
  data: any;
}

const parseSse = (text: string): SseEvent[] =>
  text
    .split('\n\n')
    .filter((frame) => frame.trim())
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))!.slice(7);
      const data = lines
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return { event, data: JSON.parse(data) };
    });

const askStream = async (tenant: TestTenant, body: unknown) => {
  const res = await rawCall('POST', `${KB}/query`, {
    token: tenant.accessToken,
    body,
    headers: { accept: 'text/event-stream' },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  return parseSse(await res.text());
};

const storedQuery = (id: string) => env.DB.prepare('SELECT * FROM kb_queries WHERE id = ?').bind(id).first<any>();

describe('POST /api/v1/kb/query', () => {
  it('answers from the sources with citations (document, page, snippet) and records the question', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const doc = await manual(tenant);
    await addText(tenant, { title: 'Canteen', text: 'The canteen serves lunch from noon to two.' });

    const res = expectOk(
      await tenant.as('POST', `${KB}/query`, { body: { query: 'How often must the hydraulic filter be replaced?' } }),
    );
    const answer = res.body.data;
    expect(answer.answer).toContain('Replace the hydraulic filter every six months.');
    expect(answer.citations).toEqual([
      {
        source: 1,
        document_id: doc.id,
        title: 'Turbine manual',
        chunk_id: expect.stringMatching(/^chk_/),
        page_number: 2,
        snippet: expect.stringContaining('Replace the hydraulic filter every six months.'),
        score: expect.any(Number),
      },
    ]);
    expect(answer.model).toBe('local-extractive-v1');
    expect(answer.usage.total_tokens).toBe(129);
    expect(answer.timings).toEqual({ retrieval_ms: expect.any(Number), generation_ms: expect.any(Number) });
    expect(answer.query_id).toMatch(/^kbq_/);

    // The prompt: instructions and numbered sources, then the question as asked.
    expect(asked.chat).toHaveLength(1);
    const [system, user] = asked.chat[0]!.messages;
    expect(system!.role).toBe('system');
    expect(system!.content).toContain('Answer the question using only the numbered sources below.');
    expect(system!.content).toContain('[1] Turbine manual, page 2');
    expect(system!.content).not.toContain('canteen');
    expect(user).toEqual({ role: 'user', content: 'How often must the hydraulic filter be replaced?' });

    const row = await storedQuery(answer.query_id);
    expect(row).toMatchObject({
      org_id: tenant.orgId,
      user_id: tenant.userId,
      query: 'How often must the hydraulic filter be replaced?',
      answer: answer.answer,
      top_k: 5,
      model_used: 'local-extractive-v1',
    });
    expect(JSON.parse(row.citations)).toEqual(answer.citations);
  });

  it('keeps only the sources the answer cites as [n]', async () => {
    const tenant = await createTenant();
    spyProvider({
      chat: async () => ({
        text: 'Filters are replaced twice a year [2], per the service plan.',
        model: 'fake-chat',
        provider: 'local',
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, estimated: false },
      }),
    });
    await addText(tenant, { title: 'Filter A', text: 'The hydraulic filter of pump A is replaced yearly.' });
    await addText(tenant, { title: 'Filter B', text: 'The hydraulic filter of pump B is replaced twice a year.' });
    const answer = expectOk(
      await tenant.as('POST', `${KB}/query`, { body: { query: 'hydraulic filter', mode: 'keyword', top_k: 2 } }),
    ).body.data;
    expect(answer.citations).toHaveLength(1);
    expect(answer.citations[0]).toMatchObject({ source: 2 });
    expect(answer.usage).toEqual({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, estimated: false });
  });

  it('says when nothing relevant is found, without asking a model', async () => {
    const tenant = await createTenant();
    const asked = spyProvider();
    const empty = expectOk(
      await tenant.as('POST', `${KB}/query`, { body: { query: 'What is the airspeed of a swallow?' } }),
    );
    expect(empty.body.data).toMatchObject({
      answer: "I couldn't find anything about this in your knowledge base.",
      citations: [],
      model: null,
      usage: { total_tokens: 0 },
      timings: { generation_ms: 0 },
    });
    await manual(tenant);
    for (const mode of ['hybrid', 'vector', 'keyword']) {
      const res = expectOk(
        await tenant.as('POST', `${KB}/query`, { body: { query: 'What is the airspeed of a swallow?', mode } }),
      );
      expect(res.body.data.answer, mode).toBe("I couldn't find anything about this in your knowledge base.");
      expect(res.body.data.citations).toEqual([]);
    }
    const french = expectOk(
      await tenant.as('POST', `${KB}/query`, { body: { query: 'Quelle est la capitale de la Mongolie ?' } }),
    );
    expect(french.body.data.answer).toBe("Je n'ai rien trouvé à ce sujet dans votre base de connaissances.");
    const events = await askStream(tenant, { query: 'What is the airspeed of a swallow?' });
    expect(events.map((e) => e.event)).toEqual(['token', 'citations', 'done']);
    expect(events[0]!.data.text).toBe("I couldn't find anything about this in your knowledge base.");
    expect(events[2]!.data.model).toBeNull();
    expect(asked.chat).toHaveLength(0);
    expect(asked.stream).toHaveLength(0);
    // Still recorded.
    expect(await storedQuery(events[2]!.data.query_id)).toMatchObject({ answer: events[0]!.data.text });
  });

  it('streams the answer as SSE: tokens, then citations, then done', async () => {
    const tenant = await createTenant();
    const doc = await manual(tenant);
    const body = { query: 'How often must the hydraulic filter be replaced?' };
    const json = expectOk(await tenant.as('POST', `${KB}/query`, { body })).body.data;

    const events = await askStream(tenant, body);
    const names = events.map((e) => e.event);
    expect(names.filter((n) => n === 'token').length).toBeGreaterThan(1);
    expect(names.slice(-2)).toEqual(['citations', 'done']);
    expect(names.indexOf('citations')).toBe(names.lastIndexOf('token') + 1);
    const text = events
      .filter((e) => e.event === 'token')
      .map((e) => e.data.text)
      .join('');
    expect(text.trim()).toBe(json.answer);
    const citations = events.find((e) => e.event === 'citations')!.data.citations;
    expect(citations.map((c: any) => [c.document_id, c.page_number])).toEqual([[doc.id, 2]]);
    const done = events.at(-1)!.data;
    expect(done).toMatchObject({ model: 'local-extractive-v1', timings: { retrieval_ms: expect.any(Number) } });
    expect(done.usage.total_tokens).toBe(129);
    const row = await storedQuery(done.query_id);
    expect(row).toMatchObject({ answer: json.answer, user_id: tenant.userId });
  });

  it('ends the stream with an error event when the model fails mid-answer', async () => {
    const tenant = await createTenant();
    await manual(tenant);
    spyProvider({
      chatStream: async function* () {
        yield { type: 'delta', text: 'Replace the' };
        throw new AiProviderError('The model timed out', { provider: 'local', retryable: true });
      },
    });
    const before = await env.DB.prepare('SELECT count(*) AS n FROM kb_queries WHERE org_id = ?')
      .bind(tenant.orgId)
      .first<{ n: number }>();
    const events = await askStream(tenant, { query: 'hydraulic filter' });
    expect(events).toEqual([
      { event: 'token', data: { text: 'Replace the' } },
      { event: 'error', data: { code: 'SERVICE_UNAVAILABLE', message: 'The model timed out' } },
    ]);
    const after = await env.DB.prepare('SELECT count(*) AS n FROM kb_queries WHERE org_id = ?')
      .bind(tenant.orgId)
      .first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it('validates the body and needs kb:read', async () => {
    const tenant = await createTenant();
    const bad: [unknown, string][] = [
      [{}, 'query'],
      [{ query: '   ' }, 'query'],
      [{ query: 'x'.repeat(2001) }, 'query'],
      [{ query: 'x', top_k: 21 }, 'top_k'],
      [{ query: 'x', top_k: '5' }, 'top_k'],
      [{ query: 'x', mode: 'fuzzy' }, 'mode'],
      [{ query: 'x', filters: { colour: 'blue' } }, 'filters'],
      [{ query: 'x', filters: { document_ids: ['nope'] } }, 'filters.document_ids.0'],
      [{ query: 'x', stream: true }, '(body)'],
    ];
    for (const [body, field] of bad) {
      const res = await tenant.as('POST', `${KB}/query`, { body });
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(Object.keys(res.body.error.details.fields).join(','), JSON.stringify(body)).toContain(field);
    }
    expectError(
      await tenant.as('POST', `${KB}/query`, { rawBody: '{"query":', headers: { 'content-type': 'application/json' } }),
      400,
      'MALFORMED_JSON',
    );
    expectError(await call('POST', `${KB}/query`, { body: { query: 'x' } }), 401, 'UNAUTHENTICATED');
    const key = expectOk(
      await tenant.as('POST', '/api/v1/api-keys', { body: { name: 'no kb', scopes: ['images:read'] } }),
      201,
    ).body.data.key;
    expectError(await call('POST', `${KB}/query`, { token: key, body: { query: 'x' } }), 403, 'INSUFFICIENT_SCOPE');
    const viewer = await addMember(tenant, 'viewer');
    expectOk(await call('POST', `${KB}/query`, { token: viewer.accessToken, body: { query: 'x' } }));
  });
});

describe('GET /api/v1/kb/queries', () => {
  it('lists questions newest first: everyone’s for owners and admins, their own for members and viewers', async () => {
    const tenant = await createTenant();
    const member = await addMember(tenant, 'member');
    const admin = await addMember(tenant, 'admin');
    const ask = (token: string, query: string) => call('POST', `${KB}/query`, { token, body: { query } });
    expectOk(await ask(tenant.accessToken, 'first question from the owner'));
    expectOk(await ask(member.accessToken, 'a question from the member'));
    expectOk(await ask(tenant.accessToken, 'second question from the owner'));

    const owner = expectOk(await tenant.as('GET', `${KB}/queries`)).body;
    expect(owner.data.map((q: any) => q.query)).toEqual([
      'second question from the owner',
      'a question from the member',
      'first question from the owner',
    ]);
    expect(owner.pagination).toMatchObject({ total: 3, page: 1 });
    expect(owner.data[0]).toEqual({
      id: expect.stringMatching(/^kbq_/),
      query: 'second question from the owner',
      answer: "I couldn't find anything about this in your knowledge base.",
      citations: [],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false },
      model: null,
      timings: { retrieval_ms: expect.any(Number), generation_ms: 0 },
      top_k: 5,
      mode: 'hybrid',
      filters: {},
      user_id: tenant.userId,
      created_at: expect.any(String),
    });
    expect(expectOk(await call('GET', `${KB}/queries`, { token: admin.accessToken })).body.pagination.total).toBe(3);
    const own = expectOk(await call('GET', `${KB}/queries`, { token: member.accessToken })).body;
    expect(own.data.map((q: any) => q.query)).toEqual(['a question from the member']);
    const paged = expectOk(await tenant.as('GET', `${KB}/queries?page=2&page_size=2`)).body;
    expect(paged.data.map((q: any) => q.query)).toEqual(['first question from the owner']);

    const other = await createTenant();
    expect(expectOk(await other.as('GET', `${KB}/queries`)).body.data).toEqual([]);
    expectError(await call('GET', `${KB}/queries`), 401, 'UNAUTHENTICATED');
    expectError(await tenant.as('GET', `${KB}/queries?page=0`), 400, 'VALIDATION_ERROR');
  });
});

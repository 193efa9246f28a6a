import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createClient,
  downloadJobOutput,
  type FlowSparkClient,
  FlowSparkError,
  paginate,
  streamChatReply,
  streamKbAnswer,
  type Tokens,
  unwrap,
  waitForJob,
} from '@flowspark/sdk';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { generateSdkTypes, SDK_TYPES_PATH } from '../../scripts/sdk-types.mjs';

const baseUrl = () => inject('baseUrl');

/** A new organization through the SDK: its owner's tokens. */
const register = async (): Promise<Tokens> => {
  const suffix = crypto.randomUUID().slice(0, 8);
  const signedIn = await unwrap(
    createClient({ baseUrl: baseUrl() }).api.POST('/api/v1/auth/register', {
      body: {
        email: `sdk-${suffix}@example.com`,
        password: `sdk-password-${suffix}`,
        name: 'SDK',
        organization_name: `SDK ${suffix}`,
      },
    }),
  );
  return signedIn.tokens;
};

describe('the committed SDK types (packages/sdk/src/schema.ts)', () => {
  it('are what `npm run sdk` generates from the document the server serves', async () => {
    const document = await (await fetch(`${baseUrl()}/openapi.json`)).json();
    const expected = (await generateSdkTypes(document)).split('\n');
    const committed = readFileSync(join(import.meta.dirname, '../..', SDK_TYPES_PATH), 'utf8').split('\n');
    const first = expected.findIndex((line, i) => line !== committed[i]);
    const drift = first === -1 && expected.length === committed.length ? undefined : `line ${first + 1}`;
    expect(drift, `${SDK_TYPES_PATH} differs from the live document: run \`npm run sdk\``).toBeUndefined();
  });
});

describe('the SDK against the local server', () => {
  let tokens: Tokens;
  let client: FlowSparkClient;
  beforeAll(async () => {
    tokens = await register();
    client = createClient({ baseUrl: baseUrl(), accessToken: tokens.access_token, refreshToken: tokens.refresh_token });
  });

  it('refreshes a refused access token once for concurrent calls, repeats them, and hands over the new tokens', async () => {
    const own = await register();
    const seen: Tokens[] = [];
    const stale = createClient({
      baseUrl: baseUrl(),
      accessToken: 'not-a-valid-token',
      refreshToken: own.refresh_token,
      onTokens: (next) => {
        seen.push(next);
      },
    });
    const answers = await Promise.all([1, 2, 3].map(() => unwrap(stale.api.GET('/api/v1/auth/me'))));
    expect(answers.map((me) => me.user.email)).toEqual(Array(3).fill(answers[0]!.user.email));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.refresh_token).not.toBe(own.refresh_token);
    expect(stale.token).toBe(seen[0]!.access_token);

    const lost = createClient({ baseUrl: baseUrl(), accessToken: 'not-a-valid-token', refreshToken: 'fsr_unknown' });
    const refused = await lost.api.GET('/api/v1/auth/me').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(FlowSparkError);
    expect(refused).toMatchObject({ status: 401, code: expect.stringMatching(/^[A-Z_]+$/) });
  });

  it('throws typed errors with the envelope code, details and request id', async () => {
    const missing = await client.api
      .GET('/api/v1/documents/{id}', { params: { path: { id: `doc_${'0'.repeat(32)}` } } })
      .catch((err: unknown) => err as FlowSparkError);
    expect(missing).toBeInstanceOf(FlowSparkError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND', requestId: expect.stringMatching(/^req_/) });

    const invalid = await client.api
      .POST('/api/v1/documents/generate', { body: { title: '', format: 'docx', prompt: 'x' } })
      .catch((err: unknown) => err as FlowSparkError);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    expect(Object.keys((invalid as FlowSparkError).details.fields as object)).toContain('title');
  });

  it('sends a fresh Idempotency-Key with each POST and keeps one given, which replays the first answer', async () => {
    const key = `sdk-${crypto.randomUUID()}`;
    const body = { name: 'Replayed key', scopes: ['jobs:read' as const] };
    const first = await client.api.POST('/api/v1/api-keys', { body, headers: { 'Idempotency-Key': key } });
    const again = await client.api.POST('/api/v1/api-keys', { body, headers: { 'Idempotency-Key': key } });
    expect(again.data!.data.id).toBe(first.data!.data.id);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    const fresh = await client.api.POST('/api/v1/api-keys', { body });
    expect(fresh.data!.data.id).not.toBe(first.data!.data.id);
    expect(fresh.response.headers.get('idempotent-replayed')).toBeNull();
  });

  it('pages through a list as an async iterator', async () => {
    for (const name of ['one', 'two', 'three']) {
      await client.api.POST('/api/v1/api-keys', { body: { name: `Listed ${name}`, scopes: ['jobs:read'] } });
    }
    const listed = await unwrap(client.api.GET('/api/v1/api-keys', { params: { query: { page_size: 100 } } }));
    const paged = [];
    for await (const key of paginate(client, '/api/v1/api-keys', { query: { page_size: 2 } })) paged.push(key.id);
    expect(paged.length).toBeGreaterThanOrEqual(3);
    expect(paged).toEqual(listed.map((key) => key.id));
  });

  it('waits for a job over the feed, its events or polling, and downloads what it made', async () => {
    const document = await unwrap(
      client.api.POST('/api/v1/documents/generate', {
        body: { title: 'SDK report', format: 'docx', prompt: 'Two short paragraphs about trains.' },
      }),
    );
    const updates: string[] = [];
    for (const transport of ['websocket', 'sse', 'poll'] as const) {
      const job = await waitForJob(client, document.job_id!, {
        transport,
        pollIntervalMs: 100,
        onUpdate: (u) => updates.push(u.status),
      });
      expect(job).toMatchObject({ id: document.job_id, status: 'done', resource_id: document.id });
    }
    expect(updates).toContain('done');
    const output = await downloadJobOutput(client, await waitForJob(client, document.job_id!));
    const bytes = await output.bytes();
    expect(output.contentType).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(output.filename).toMatch(/\.docx$/);
    expect([...bytes.slice(0, 2)]).toEqual([0x50, 0x4b]); // a ZIP: "PK"

    const unknown = await waitForJob(client, `job_${'0'.repeat(32)}`, { transport: 'sse' }).catch((err) => err);
    expect(unknown).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('streams a knowledge-base answer: the tokens make the answer, then citations and done', async () => {
    const added = await unwrap(
      client.api.POST('/api/v1/kb/documents/text', {
        body: { title: 'Opening hours', text: 'The office opens at nine and closes at five on weekdays.' },
      }),
    );
    await waitForJob(client, added.job_id!);
    const query = 'When does the office open?';
    const answer = await unwrap(client.api.POST('/api/v1/kb/query', { body: { query } }));
    const events = [];
    for await (const event of streamKbAnswer(client, { query })) events.push(event);
    const text = events.map((e) => (e.type === 'token' ? e.text : '')).join('');
    expect(text).toBe(answer.answer);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['citations', 'done']);
    const citations = events.find((e) => e.type === 'citations');
    expect(citations?.type === 'citations' && citations.citations[0]?.document_id).toBe(added.document.id);
  });

  it('streams a chat reply: tokens, then both stored messages', async () => {
    const bot = await unwrap(
      client.api.POST('/api/v1/bots', { body: { name: 'SDK bot', configuration: { agent_type: 'plain' } } }),
    );
    const conversation = await unwrap(
      client.api.POST('/api/v1/bots/{id}/conversations', { params: { path: { id: bot.id } }, body: {} }),
    );
    const events = [];
    for await (const event of streamChatReply(client, conversation.id, { content: 'Hello there' })) events.push(event);
    const last = events.at(-1);
    expect(last?.type).toBe('message');
    const tokens = events.map((e) => (e.type === 'token' ? e.text : '')).join('');
    expect(tokens.length).toBeGreaterThan(0);
    if (last?.type !== 'message') return;
    expect(last.user_message.content).toBe('Hello there');
    expect(last.assistant_message.content).toBe(tokens);
    const stored = await unwrap(
      client.api.GET('/api/v1/conversations/{id}/messages', { params: { path: { id: conversation.id } } }),
    );
    expect(stored.map((m) => m.id)).toEqual([last.user_message.id, last.assistant_message.id]);
  });
});

import { describe, expect, it } from 'vitest';
import { createLocalProvider } from './adapters/local';
import { DEFAULT_LOCAL_EMBEDDINGS_URL, parseAiConfig } from './config';
import { type AiProviderError, isAiProviderError } from './errors';
import { createAiProvider } from './factory';
import { LOCAL_MODEL_EMBEDDING, MODEL_EMBEDDING_LIMITS } from './model-embedding';
import { fakeFetch, instantRetries, jsonResponse, type RecordedRequest } from './test-fakes';

const URL_BASE = 'http://127.0.0.1:8791';
const DIMS = LOCAL_MODEL_EMBEDDING.dimensions;

/** A vector that names its text: its first element is the text's length, the rest 0. */
const vectorOf = (text: string) => [text.length, ...new Array<number>(DIMS - 1).fill(0)];
const textsOf = (req: RecordedRequest) => (req.body?.texts ?? []) as string[];
const served = (texts: string[]) =>
  jsonResponse({ model: 'local-use-lite-512', dimensions: DIMS, vectors: texts.map(vectorOf) });

const provider = (answer: (req: RecordedRequest, index: number) => Response | Promise<Response>) => {
  const fake = fakeFetch(answer);
  const retries = instantRetries();
  const ai = createAiProvider(
    { AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: `${URL_BASE}/`, AI_MAX_RETRIES: '2' },
    { fetch: fake.fetchFn },
    retries,
  );
  return { ai, requests: fake.requests, delays: retries.delays };
};

const failure = async (promise: Promise<unknown>): Promise<AiProviderError> => {
  const caught = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isAiProviderError(caught)) throw new Error(`expected an AiProviderError, got ${String(caught)}`);
  return caught;
};

describe('local embedding model: requests', () => {
  it('POSTs the texts to /embed in batches, in order, and reports the model and its dimensions', async () => {
    const { ai, requests } = provider((req) => served(textsOf(req)));
    const texts = Array.from({ length: 70 }, (_, i) => `text number ${i}`);
    const result = await ai.embed(texts);

    expect(requests.map((r) => [r.method, r.url])).toEqual([
      ['POST', `${URL_BASE}/embed`],
      ['POST', `${URL_BASE}/embed`],
      ['POST', `${URL_BASE}/embed`],
    ]);
    expect(requests.map((r) => textsOf(r).length)).toEqual([32, 32, 6]);
    expect(requests.flatMap(textsOf)).toEqual(texts);
    expect(requests[0]!.headers.get('content-type')).toBe('application/json');
    expect(result.vectors).toEqual(texts.map(vectorOf));
    expect(result).toMatchObject({ model: 'local-use-lite-512', provider: 'local', dimensions: 512 });
    expect(result.usage.estimated).toBe(true);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('cuts texts over the limit without splitting a surrogate pair, and asks nothing for no texts', async () => {
    const { ai, requests } = provider((req) => served(textsOf(req)));
    expect((await ai.embed([])).vectors).toEqual([]);
    expect(requests).toHaveLength(0);

    const max = MODEL_EMBEDDING_LIMITS.textChars;
    const long = 'a'.repeat(max + 50);
    const pairAtEdge = `${'b'.repeat(max - 1)}😀tail`;
    const result = await ai.embed([long, pairAtEdge, 'short']);
    const sent = textsOf(requests[0]!);
    expect(sent.map((t) => t.length)).toEqual([max, max - 1, 5]);
    expect(sent[1]).toBe('b'.repeat(max - 1));
    expect(result.vectors.map((v) => v[0])).toEqual([max, max - 1, 5]);
  });
});

describe('local embedding model: failures', () => {
  it('an unreachable server is a retryable 503 that says how to start it; retried, then given up', async () => {
    const { ai, requests, delays } = provider(() => {
      throw new TypeError('fetch failed: connect ECONNREFUSED 127.0.0.1:8791');
    });
    const err = await failure(ai.embed(['parking lot']));
    expect(err.status).toBe(503);
    expect(err.code).toBe('SERVICE_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({ reason: 'AI_PROVIDER_ERROR', provider: 'local', retryable: true });
    expect(err.message).toContain(`The local embedding model server at ${URL_BASE} is not reachable`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('AI_EMBEDDINGS=model npm run dev');
    // AI_MAX_RETRIES=2: three attempts.
    expect(requests).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('retries a server that is still loading (503, Retry-After) and then embeds', async () => {
    const { ai, requests, delays } = provider((req, i) =>
      i === 0 ? jsonResponse({ error: 'The model is loading' }, 503, { 'retry-after': '1' }) : served(textsOf(req)),
    );
    const result = await ai.embed(['car park']);
    expect(result.vectors).toEqual([vectorOf('car park')]);
    expect(requests).toHaveLength(2);
    expect(delays).toEqual([1000]);
  });

  it('a refused request (400) is permanent and carries the server’s reason', async () => {
    const { ai, requests } = provider(() => jsonResponse({ error: 'texts must be at most 64 strings' }, 400));
    const err = await failure(ai.embed(['a']));
    expect(err.retryable).toBe(false);
    expect(err.providerStatus).toBe(400);
    expect(err.message).toBe('The local embedding model server answered 400: texts must be at most 64 strings');
    expect(requests).toHaveLength(1);
  });

  it('refuses answers of another model, other dimensions, the wrong count or bad numbers, without retrying', async () => {
    const cases: [unknown, string][] = [
      [
        { model: 'other-model', dimensions: DIMS, vectors: [vectorOf('a')] },
        'The local embedding model server serves other-model with 512 dimensions; expected local-use-lite-512 with 512',
      ],
      [
        { model: 'local-use-lite-512', dimensions: 384, vectors: [new Array(384).fill(0)] },
        'The local embedding model server serves local-use-lite-512 with 384 dimensions; expected local-use-lite-512 with 512',
      ],
      [
        { model: 'local-use-lite-512', dimensions: DIMS, vectors: [vectorOf('a'), vectorOf('b')] },
        'The local embedding model server returned 2 vectors for 1 texts',
      ],
      [
        { model: 'local-use-lite-512', dimensions: DIMS, vectors: [vectorOf('a').slice(1)] },
        'The local embedding model server returned vector 0 without 512 finite numbers',
      ],
      [
        { model: 'local-use-lite-512', dimensions: DIMS, vectors: [[...vectorOf('a').slice(1), null]] },
        'The local embedding model server returned vector 0 without 512 finite numbers',
      ],
      [
        { model: 'local-use-lite-512', dimensions: DIMS },
        'The local embedding model server returned no vectors for 1 texts',
      ],
    ];
    for (const [body, message] of cases) {
      const { ai, requests } = provider(() => jsonResponse(body));
      const err = await failure(ai.embed(['a']));
      expect(err.message).toBe(message);
      expect(err.retryable).toBe(false);
      expect(requests).toHaveLength(1);
    }
    const { ai } = provider(() => new Response('not json', { status: 200 }));
    expect((await failure(ai.embed(['a']))).message).toBe('The local embedding model server answered invalid JSON');
  });

  it('stops at the first failing batch: later batches are not sent', async () => {
    const { ai, requests } = provider((req, i) =>
      i === 1 ? jsonResponse({ error: 'bad batch' }, 400) : served(textsOf(req)),
    );
    const texts = Array.from({ length: 80 }, (_, i) => `t${i}`);
    expect((await failure(ai.embed(texts))).providerStatus).toBe(400);
    expect(requests).toHaveLength(2);
  });
});

describe('local embedding model: configuration', () => {
  it('AI_EMBEDDINGS=model names the model and the server (default 127.0.0.1:8790)', () => {
    expect(parseAiConfig({ AI_EMBEDDINGS: ' Model ' })).toMatchObject({
      localEmbeddings: 'model',
      localEmbeddingsUrl: DEFAULT_LOCAL_EMBEDDINGS_URL,
      models: { embedding: 'local-use-lite-512' },
    });
    expect(DEFAULT_LOCAL_EMBEDDINGS_URL).toBe('http://127.0.0.1:8790');
    expect(parseAiConfig({ AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: ' http://localhost:9000/ ' })).toMatchObject({
      localEmbeddingsUrl: 'http://localhost:9000',
    });
  });

  it('reads AI_EMBEDDINGS_URL only for the model, and refuses one that is not an http(s) URL', () => {
    expect(parseAiConfig({ AI_EMBEDDINGS: 'bridged', AI_EMBEDDINGS_URL: 'not a url' }).localEmbeddingsUrl).toBe(
      undefined,
    );
    expect(
      parseAiConfig({ AI_PROVIDER: 'workers-ai', AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: 'x' }).localEmbeddingsUrl,
    ).toBe(undefined);
    for (const [value, message] of [
      ['not a url', 'AI_EMBEDDINGS_URL is not a valid URL'],
      ['ftp://user:secret@host/', 'AI_EMBEDDINGS_URL must be an http(s) URL'],
    ]) {
      let caught: unknown;
      try {
        parseAiConfig({ AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: value });
      } catch (err) {
        caught = err;
      }
      expect(isAiProviderError(caught)).toBe(true);
      expect((caught as AiProviderError).message).toBe(message);
      expect((caught as AiProviderError).details).toMatchObject({ reason: 'AI_NOT_CONFIGURED', provider: 'local' });
    }
  });

  it('the local provider needs a server for the model; the other embeddings never fetch', async () => {
    expect(() => createLocalProvider({ embeddings: 'model' })).toThrow(
      'AI_EMBEDDINGS is "model" but no embedding model server was given',
    );
    const fake = fakeFetch(() => jsonResponse({}));
    const hashed = await createAiProvider({ AI_EMBEDDINGS: 'hash' }, { fetch: fake.fetchFn }).embed(['a b']);
    expect(hashed.model).toBe('local-hash-384');
    expect(fake.requests).toHaveLength(0);
  });
});

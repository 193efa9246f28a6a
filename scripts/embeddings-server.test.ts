import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createAiProvider } from '@flowspark/ai';
import { cosineSimilarity } from '@flowspark/vectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The local embedding model's server as `npm run dev` runs it (a Node process, the real weights,
 * offline), called through the local provider's adapter.
 */
let child: ChildProcess;
let url = '';
let startupMs = 0;

beforeAll(async () => {
  const started = performance.now();
  child = spawn(process.execPath, [join(import.meta.dirname, 'embeddings-server.mjs'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    child.stdout?.on('data', (part: Buffer) => {
      output += part.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
  });
  for (;;) {
    const res = await fetch(`${url}/health`);
    if (res.ok) break;
    expect(res.status).toBe(503);
    await new Promise((r) => setTimeout(r, 50));
  }
  startupMs = performance.now() - started;
});

afterAll(() => {
  child?.kill('SIGTERM');
});

const model = () => createAiProvider({ AI_EMBEDDINGS: 'model', AI_EMBEDDINGS_URL: url }, {});
const post = (body: string) =>
  fetch(`${url}/embed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('the local embedding model server', () => {
  it('loads the model offline and says so on /health', async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as { load_ms: number };
    expect(health).toMatchObject({ status: 'ok', model: 'local-use-lite-512', dimensions: 512 });
    expect(health.load_ms).toBeGreaterThan(0);
    expect(startupMs).toBeGreaterThan(health.load_ms);
  });

  it('embeds paraphrases near each other: "parking lot" is nearer "car park" than an unrelated sentence', async () => {
    const result = await model().embed([
      'parking lot',
      'car park',
      'The quarterly tax report is due in March.',
      'How do I get my money back for a train ticket?',
      'Refunds of travel expenses',
      'Descale the espresso machine every two months.',
    ]);
    expect(result).toMatchObject({ model: 'local-use-lite-512', provider: 'local', dimensions: 512 });
    const [parking, carPark, tax, money, refunds, espresso] = result.vectors as number[][];
    for (const v of result.vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(cosineSimilarity(parking!, carPark!)).toBeGreaterThan(cosineSimilarity(parking!, tax!) + 0.2);
    expect(cosineSimilarity(money!, refunds!)).toBeGreaterThan(cosineSimilarity(money!, espresso!) + 0.1);
  });

  it('answers the same vectors for a text alone or in batches, and zeros for a blank text', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `Office rule number ${i}: badges are worn at all times.`);
    const together = await model().embed([...texts, '  ']);
    const alone = await model().embed([texts[37]!]);
    expect(together.vectors).toHaveLength(41);
    alone.vectors[0]!.forEach((v, i) => {
      expect(together.vectors[37]![i]).toBeCloseTo(v, 5);
    });
    expect(together.vectors[40]).toEqual(new Array(512).fill(0));
    expect((await model().embed([texts[37]!])).vectors).toEqual(alone.vectors);
  });

  it('refuses requests out of bounds with 400, 404, 405 or 413 and a reason', async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post('{"texts": '), 400, 'the body must be JSON: {"texts": ["…"]}'],
      [post('{"texts": []}'), 400, 'texts must be an array of 1 to 64 strings'],
      [post(JSON.stringify({ texts: new Array(65).fill('a') })), 400, 'texts must be an array of 1 to 64 strings'],
      [post('{"texts": ["a", 3]}'), 400, 'texts[1] must be a string'],
      [post(JSON.stringify({ texts: ['x'.repeat(16_385)] })), 400, 'texts[0] must be at most 16384 characters'],
      [post(JSON.stringify({ texts: ['x'.repeat(4_200_000)] })), 413, 'the body must be at most 4194304 bytes'],
      [fetch(`${url}/embed`), 405, 'use POST'],
      [fetch(`${url}/vectors`, { method: 'POST', body: '{}' }), 404, 'not found: POST /embed or GET /health'],
    ];
    for (const [pending, status, error] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(await res.json()).toEqual({ error });
    }
  });
});

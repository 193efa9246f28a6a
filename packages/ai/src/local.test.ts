import { cosineSimilarity } from '@flowspark/vectors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAiProvider } from './factory';
import { crc32 } from './png';
import { structuredOutput, toJsonSchema } from './structured';
import { collect } from './test-fakes';

const local = () => createAiProvider({ AI_PROVIDER: 'local' }, {});

/** Parses a PNG's chunks, checking every CRC. */
const readPng = (bytes: Uint8Array) => {
  expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.slice(offset + 4, offset + 8));
    const data = bytes.slice(offset + 8, offset + 8 + length);
    const crc = view.getUint32(offset + 8 + length);
    expect((crc32(bytes.slice(offset + 4, offset + 8 + length)) ^ 0xffffffff) >>> 0).toBe(crc);
    chunks.push({ type, data });
    offset += 12 + length;
  }
  return chunks;
};

const inflate = async (data: Uint8Array): Promise<Uint8Array> => {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
};

describe('local provider: chat', () => {
  const messages = [
    {
      role: 'system' as const,
      content:
        'Context: The Eiffel Tower is in Paris. It was completed in 1889. Bananas are rich in potassium. The tower is 330 metres tall.',
    },
    { role: 'user' as const, content: 'How tall is the Eiffel tower in Paris?' },
  ];

  it('answers extractively from the sentences sharing words with the question, deterministically', async () => {
    const ai = local();
    const first = await ai.chat({ messages });
    const second = await ai.chat({ messages });
    expect(first).toEqual(second);
    expect(first.model).toBe('local-extractive-v1');
    expect(first.provider).toBe('local');
    expect(first.text).toContain('The Eiffel Tower is in Paris.');
    expect(first.text).toContain('330 metres tall');
    expect(first.text).not.toContain('Bananas');
    expect(first.usage.estimated).toBe(true);
    expect(first.usage.total_tokens).toBe(first.usage.prompt_tokens + first.usage.completion_tokens);
  });

  it('without context, answers with the first sentences of the user message', async () => {
    const result = await local().chat({
      messages: [{ role: 'user', content: 'One. Two! Three? Four. Five.' }],
    });
    expect(result.text).toBe('One. Two! Three?');
  });

  it('streams the same text as word deltas, then done', async () => {
    const ai = local();
    const full = await ai.chat({ messages });
    const events = await collect(ai.chatStream({ messages }));
    const deltas = events.filter((e) => e.type === 'delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((e) => (e as { text: string }).text).join('')).toBe(full.text);
    expect(events.at(-1)).toEqual({ type: 'done', model: full.model, provider: 'local', usage: full.usage });
  });
});

describe('local provider: embeddings', () => {
  it('are deterministic, 384-dimensional and L2-normalised', async () => {
    const ai = local();
    const a = await ai.embed(['Quarterly revenue grew in Europe']);
    const b = await ai.embed(['Quarterly revenue grew in Europe']);
    expect(a.vectors).toEqual(b.vectors);
    expect(a.dimensions).toBe(384);
    expect(a.model).toBe('local-hash-384');
    expect(a.vectors[0]).toHaveLength(384);
    expect(Math.hypot(...a.vectors[0])).toBeCloseTo(1, 6);
    expect(a.usage.estimated).toBe(true);
  });

  it('puts a paraphrase sharing words closer than an unrelated text', async () => {
    const { vectors } = await local().embed([
      'The invoice for the cloud servers is due next month',
      'Next month the cloud server invoices are due',
      'Our cat likes to sleep on the warm windowsill',
    ]);
    const [text, paraphrase, unrelated] = vectors;
    expect(cosineSimilarity(text, paraphrase)).toBeGreaterThan(0.5);
    expect(cosineSimilarity(text, paraphrase)).toBeGreaterThan(cosineSimilarity(text, unrelated) + 0.3);
  });

  it('works for CJK text (no spaces) and accented words', async () => {
    const { vectors } = await local().embed([
      '北京是中国的首都',
      '中国的首都是北京市',
      '我喜欢吃苹果和香蕉',
      'Café crème à Montréal',
      'café CRÈME montréal',
    ]);
    expect(vectors.every((v) => Math.hypot(...v) > 0.99)).toBe(true);
    expect(cosineSimilarity(vectors[0], vectors[1])).toBeGreaterThan(cosineSimilarity(vectors[0], vectors[2]) + 0.3);
    expect(cosineSimilarity(vectors[3], vectors[4])).toBeCloseTo(1, 6);
  });
});

describe('local provider: images', () => {
  it('renders a valid, deterministic PNG of the requested size', async () => {
    const ai = local();
    const req = { prompt: 'A lighthouse at dusk, Brittany coast', width: 320, height: 200 };
    const image = await ai.generateImage(req);
    expect(image.contentType).toBe('image/png');
    expect(image.model).toBe('local-png-v1');
    expect(image.provider).toBe('local');

    const chunks = readPng(image.bytes);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = new DataView(chunks[0].data.buffer);
    expect(ihdr.getUint32(0)).toBe(320);
    expect(ihdr.getUint32(4)).toBe(200);
    expect([...chunks[0].data.slice(8)]).toEqual([8, 2, 0, 0, 0]);

    // Decoded: one filter byte + 3 bytes per pixel per row; not a flat colour (bands and label drawn).
    const pixels = await inflate(chunks[1].data);
    expect(pixels.length).toBe(200 * (1 + 320 * 3));
    const colours = new Set<string>();
    for (let y = 0; y < 200; y += 5) {
      for (let x = 0; x < 320; x += 3) {
        const p = y * (1 + 320 * 3) + 1 + x * 3;
        colours.add(`${pixels[p]},${pixels[p + 1]},${pixels[p + 2]}`);
      }
    }
    expect(colours.size).toBeGreaterThanOrEqual(4);

    const again = await ai.generateImage(req);
    expect(again.bytes).toEqual(image.bytes);
    const other = await ai.generateImage({ ...req, prompt: 'A different prompt entirely' });
    expect(other.bytes).not.toEqual(image.bytes);
  });

  it('handles tiny sizes and refuses sizes it cannot render', async () => {
    const ai = local();
    const tiny = await ai.generateImage({ prompt: 'x', width: 1, height: 1 });
    expect(new DataView(readPng(tiny.bytes)[0].data.buffer).getUint32(0)).toBe(1);
    const err = await ai.generateImage({ prompt: 'x', width: 0, height: 10 }).catch((e) => e);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('2048');
  });
});

describe('local provider: structured output', () => {
  const Block = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('paragraph'), text: z.string().min(1).max(2000) }),
    z.strictObject({ type: z.literal('bullets'), items: z.array(z.string().max(200)).min(1).max(10) }),
    z.strictObject({
      type: z.literal('table'),
      columns: z.array(z.string()).min(1),
      rows: z.array(z.array(z.union([z.string(), z.number(), z.null()]))),
    }),
  ]);
  const Report = z.strictObject({
    title: z.string().min(3).max(30),
    subtitle: z.string().optional(),
    language: z.enum(['en', 'fr']),
    level: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(2),
    score: z.number().min(10).max(20),
    pages: z.int().positive().max(500),
    published: z.boolean(),
    contact: z.email(),
    created_at: z.iso.datetime(),
    id: z.uuid(),
    code: z.string().regex(/^[a-z]+$/),
    nickname: z.string().nullable(),
    tags: z.array(z.string().min(2)).min(1).max(5),
    point: z.tuple([z.number(), z.number()]),
    meta: z.record(z.string(), z.string()),
    sections: z.array(z.strictObject({ heading: z.string().min(1), blocks: z.array(Block).min(3) })).min(1),
  });

  it('without a draft, walks the JSON schema into a value the zod schema accepts', async () => {
    const prompt = 'Quarterly report on renewable energy adoption in Northern Europe';
    const result = await structuredOutput(local(), Report, { name: 'report', prompt });
    expect(result.attempts).toBe(1);
    expect(result.model).toBe('local-extractive-v1');
    expect(result.usage.estimated).toBe(true);
    const blocks = result.value.sections[0].blocks.map((b) => b.type);
    // Items of a discriminated union cycle through its variants.
    expect(blocks).toEqual(['paragraph', 'bullets', 'table']);
    expect(result.value.title.length).toBeLessThanOrEqual(30);
    expect(result.value.title.toLowerCase()).toContain('quarterly');
    // Optional properties near the root are filled in too.
    expect(result.value.level).toBe(1);
    expect(result.value.subtitle).toEqual(expect.any(String));
    const again = await structuredOutput(local(), Report, { name: 'report', prompt });
    expect(again.value).toEqual(result.value);
  });

  it('answers with the draft when one is given', async () => {
    const Summary = z.strictObject({ headline: z.string(), points: z.array(z.string()).min(1) });
    const result = await structuredOutput(local(), Summary, {
      name: 'summary',
      prompt: 'Summarise: sales up 10%',
      draft: (prompt) => ({ headline: prompt.slice(11), points: ['Sales grew'] }),
    });
    expect(result.value).toEqual({ headline: 'sales up 10%', points: ['Sales grew'] });
    expect(result.attempts).toBe(1);
  });

  it('an invalid draft is refused twice → UNPROCESSABLE AI_INVALID_OUTPUT with the issues', async () => {
    const Summary = z.strictObject({ headline: z.string(), points: z.array(z.string()).min(1) });
    const err = await structuredOutput(local(), Summary, {
      name: 'summary',
      prompt: 'x',
      draft: () => ({ headline: 'h', points: [] }) as unknown as z.infer<typeof Summary>,
    }).catch((e) => e);
    expect(err.code).toBe('UNPROCESSABLE');
    expect(err.details.reason).toBe('AI_INVALID_OUTPUT');
    expect(err.details.issues).toEqual([{ path: 'points', message: expect.stringMatching(/>=1|too small/i) }]);
  });

  it('the JSON schema sent to providers is the input shape (defaults optional)', () => {
    const json = toJsonSchema(Report) as { required: string[]; $schema?: string };
    expect(json.$schema).toBeUndefined();
    expect(json.required).toContain('title');
    expect(json.required).not.toContain('level');
    expect(json.required).not.toContain('subtitle');
  });
});

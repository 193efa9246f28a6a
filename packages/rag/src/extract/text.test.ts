import { describe, expect, it } from 'vitest';
import { chunk } from '../chunk';
import { expectChunkInvariants, utf8 } from '../test-support';
import { extract } from './index';

const MULTILINGUAL = [
  '\uFEFFLe français est une langue romane.\r\nElle est parlée sur cinq continents.',
  '',
  'Les  accents   se combinent : e\u0301te\u0301 devient été.',
  '   ',
  '中文是世界上使用人数最多的语言。汉字是一种表意文字！你会说中文吗？',
  '',
  '日本語はひらがな、カタカナ、漢字を使います。東京は日本の首都です。',
].join('\n');

describe('plain text extraction', () => {
  it('splits paragraphs at blank lines, normalises to NFC and collapses spaces (French, Chinese, Japanese)', async () => {
    const e = await extract(utf8(MULTILINGUAL), 'text');
    expect(e.type).toBe('text');
    expect(e.blocks.map((b) => b.text)).toEqual([
      'Le français est une langue romane.\nElle est parlée sur cinq continents.',
      'Les accents se combinent : été devient été.',
      '中文是世界上使用人数最多的语言。汉字是一种表意文字！你会说中文吗？',
      '日本語はひらがな、カタカナ、漢字を使います。東京は日本の首都です。',
    ]);
    expect(e.blocks.every((b) => b.kind === 'paragraph' && b.page_number === null)).toBe(true);
    expect(e.text).toBe(e.blocks.map((b) => b.text).join('\n\n'));
    expect(e.text.normalize('NFC')).toBe(e.text);
  });

  it('chunks CJK text at 。！？ and counts about one token per CJK character', async () => {
    const e = await extract(utf8(MULTILINGUAL), 'text');
    const chunks = chunk(e, { chunk_size: 100, chunk_overlap: 10 });
    expectChunkInvariants(e, chunks, 100);
    const chinese = chunks.find((c) => c.text.includes('中文是世界上'))!;
    expect(chinese.token_count).toBeGreaterThanOrEqual(33);
    const zh = await extract(utf8('汉字是一种表意文字。'.repeat(30)), 'text');
    const zhChunks = chunk(zh, { chunk_size: 100, chunk_overlap: 20 });
    expectChunkInvariants(zh, zhChunks, 100);
    for (const c of zhChunks.slice(0, -1)) expect(c.text.endsWith('。')).toBe(true);
    expect(zhChunks[0]!.token_count).toBe(zhChunks[0]!.text.length);
  });

  it('fails with EMPTY for whitespace-only or empty files and CORRUPT for invalid UTF-8', async () => {
    await expect(extract(utf8(' \n\t\u200B\n '), 'text')).rejects.toMatchObject({
      code: 'UNPROCESSABLE',
      details: { reason: 'EMPTY' },
      message: 'The document contains no text',
    });
    await expect(extract(new Uint8Array(0), 'text')).rejects.toMatchObject({ details: { reason: 'EMPTY' } });
    await expect(extract(new Uint8Array([0xc3, 0x28]), 'markdown')).rejects.toMatchObject({
      details: { reason: 'CORRUPT' },
    });
  });
});

describe('extract', () => {
  it('refuses a type it does not know (untyped callers)', async () => {
    await expect(extract(utf8('x'), 'xlsx' as never)).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});

import { describe, expect, it } from 'vitest';
import { chunk } from '../chunk';
import { expectChunkInvariants, utf8 } from '../test-support';
import { guessDelimiter, parseCsv } from './csv';
import { extract } from './index';

describe('CSV parsing', () => {
  it('follows RFC 4180: quoted delimiters, line breaks and doubled quotes; CRLF; no final newline', () => {
    const text = 'name,quote,city\r\n"Smith, Jane","She said ""hi""\r\nthen left",Paris\r\nBob,,"Lyon"';
    expect(parseCsv(text, ',')).toEqual([
      ['name', 'quote', 'city'],
      ['Smith, Jane', 'She said "hi"\r\nthen left', 'Paris'],
      ['Bob', '', 'Lyon'],
    ]);
  });

  it('keeps stray quotes inside unquoted fields, skips blank lines and reads a trailing delimiter', () => {
    expect(parseCsv('a,5" screen,c\n\n1,2,\n', ',')).toEqual([
      ['a', '5" screen', 'c'],
      ['1', '2', ''],
    ]);
  });

  it('guesses the delimiter with a consistent field count, ignoring quoted ones', () => {
    expect(guessDelimiter('a;b;c\n"1,5";2;3\n').delimiter).toBe(';');
    expect(guessDelimiter('a\tb\n1\t2\n').delimiter).toBe('\t');
    expect(guessDelimiter('a,b,c\n1,2,3\n')).toMatchObject({ delimiter: ',', consistent: true, fields: 3, records: 2 });
    expect(guessDelimiter('x,y\nz\n').consistent).toBe(false);
  });
});

describe('CSV extraction', () => {
  it('turns each data row into a "column: value" row block, empty values left out', async () => {
    const csv = 'Product;Description;Price\n"Café";"Strong, dark\nroast";2,50\nTea;;1,80\n;;\n';
    const e = await extract(utf8(csv), 'csv');
    expect(e.type).toBe('csv');
    expect(e.title).toBeNull();
    expect(e.blocks).toEqual([
      { kind: 'row', text: 'Product: Café; Description: Strong, dark roast; Price: 2,50', page_number: null },
      { kind: 'row', text: 'Product: Tea; Price: 1,80', page_number: null },
    ]);
    expect(e.text).toBe('Product: Café; Description: Strong, dark roast; Price: 2,50\n\nProduct: Tea; Price: 1,80');
  });

  it('names missing header cells and extra fields by position', async () => {
    const e = await extract(utf8('id,,\n1,a,b,c\n'), 'csv');
    expect(e.blocks[0]!.text).toBe('id: 1; column 2: a; column 3: b; column 4: c');
  });

  it('chunks many rows at row boundaries', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${i},item ${i},${(i * 1.5).toFixed(2)}`);
    const e = await extract(utf8(`id,name,price\n${rows.join('\n')}\n`), 'csv');
    expect(e.blocks).toHaveLength(60);
    const chunks = chunk(e, { chunk_size: 200, chunk_overlap: 0 });
    expectChunkInvariants(e, chunks, 200);
    for (const c of chunks) {
      expect(c.text.startsWith('id: ')).toBe(true);
      expect(c.text).toMatch(/price: \d+\.\d\d$/);
    }
  });

  it('fails with EMPTY for a header without rows', async () => {
    await expect(extract(utf8('a,b,c\n'), 'csv')).rejects.toMatchObject({ details: { reason: 'EMPTY' } });
  });
});

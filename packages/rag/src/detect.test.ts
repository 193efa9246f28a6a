import { describe, expect, it } from 'vitest';
import { detectFileType } from './detect';
import { makeDocx, makeImageOnlyPdf, makePdf, makeZip, PNG, utf8 } from './test-support';

describe('detectFileType', () => {
  it('recognises a PDF by its magic bytes, whatever the name says', async () => {
    const pdf = await makePdf([{ paragraphs: [['Hello']] }]);
    expect(detectFileType(pdf)).toBe('pdf');
    expect(detectFileType(pdf, 'notes.txt', 'text/plain')).toBe('pdf');
    expect(detectFileType(await makeImageOnlyPdf(), 'scan.pdf')).toBe('pdf');
    // A little junk before the header is tolerated, as readers do.
    expect(detectFileType(new Uint8Array([...utf8('\n\n'), ...pdf]))).toBe('pdf');
  });

  it('recognises a DOCX as a ZIP holding word/document.xml; other ZIPs are unsupported', async () => {
    expect(detectFileType(await makeDocx(), 'report.bin')).toBe('docx');
    expect(detectFileType(await makeZip({ 'xl/workbook.xml': '<workbook/>' }), 'book.docx')).toBeNull();
    expect(detectFileType(await makeZip({ 'readme.txt': 'hello' }), 'archive.zip')).toBeNull();
    // A damaged central directory: the name is still found in the local file headers.
    const docx = await makeDocx();
    expect(detectFileType(docx.slice(0, docx.length - 30))).toBe('docx');
  });

  it('refuses binary content: PNG, executables, random bytes, NUL bytes, invalid UTF-8', () => {
    expect(detectFileType(PNG, 'image.png', 'image/png')).toBeNull();
    expect(detectFileType(PNG, 'notes.txt', 'text/plain')).toBeNull();
    const exe = new Uint8Array(512);
    exe.set(utf8('MZ'), 0);
    exe.set(utf8('This program cannot be run in DOS mode.'), 78);
    expect(detectFileType(exe, 'setup.exe')).toBeNull();
    const random = new Uint8Array(4096);
    let seed = 42;
    for (let i = 0; i < random.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      random[i] = seed >> 16;
    }
    expect(detectFileType(random, 'data.txt')).toBeNull();
    expect(detectFileType(utf8('hello\u0000world'), 'a.txt')).toBeNull();
    expect(detectFileType(new Uint8Array([0x68, 0x69, 0xc3, 0x28]), 'a.txt')).toBeNull(); // invalid UTF-8
    expect(detectFileType(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]), 'utf16.txt')).toBeNull();
  });

  it('recognises HTML by its structure, after a BOM, whitespace and comments', () => {
    expect(detectFileType(utf8('<!DOCTYPE html><html><body><p>Hi</p></body></html>'), 'page.txt')).toBe('html');
    expect(detectFileType(utf8('\uFEFF  <!-- saved page -->\n<html lang="fr"><p>Salut</p></html>'))).toBe('html');
    expect(detectFileType(utf8('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"></html>'))).toBe(
      'html',
    );
    expect(detectFileType(utf8('<head><title>T</title></head><body>Text</body>'))).toBe('html');
    // Markdown that mentions tags is not HTML; an HTML fragment named .html is.
    expect(detectFileType(utf8('# Embedding\n\nPut `<body>` in your page.\n'))).toBe('markdown');
    expect(detectFileType(utf8('<p>Just a fragment</p>'), 'fragment.html')).toBe('html');
    expect(detectFileType(utf8('<p>Just a fragment</p>'))).toBe('text');
  });

  it('detects CSV from its name or type when the delimiter count is consistent', () => {
    const csv = 'name,age\n"Smith, Jane",41\nBob,"7"\n';
    expect(detectFileType(utf8(csv), 'people.csv')).toBe('csv');
    expect(detectFileType(utf8(csv), undefined, 'text/csv')).toBe('csv');
    expect(detectFileType(utf8('a;b;c\n1;2;3\n'), 'export.CSV')).toBe('csv');
    expect(detectFileType(utf8('a\tb\n1\t2\n'), 'export.tsv')).toBe('csv');
    // Named .csv but not tabular: falls back to the text types.
    expect(detectFileType(utf8('one, two\nthree\nfour, five, six\n'), 'notes.csv')).toBe('text');
  });

  it('detects CSV without a name only with ≥ 2 lines and ≥ 2 consistent delimiters', () => {
    expect(detectFileType(utf8('id,name,city\n1,Ann,Paris\n2,Bo,Lyon\n'))).toBe('csv');
    expect(detectFileType(utf8('id;name;city\n1;Ann;Paris\n'))).toBe('csv');
    expect(detectFileType(utf8('a,b\n1,2\n'))).toBe('text'); // one comma per line: prose-like
    expect(detectFileType(utf8('id,name,city\n'))).toBe('text'); // one line
    // The name decides between text types: a .txt stays text.
    expect(detectFileType(utf8('id,name,city\n1,Ann,Paris\n2,Bo,Lyon\n'), 'data.txt')).toBe('text');
  });

  it('detects Markdown from its name or its structure, unless the name says .txt', () => {
    expect(detectFileType(utf8('Plain words only.'), 'readme.md')).toBe('markdown');
    expect(detectFileType(utf8('Plain words only.'), undefined, 'text/markdown')).toBe('markdown');
    expect(detectFileType(utf8('# Title\n\nBody text.\n'))).toBe('markdown');
    expect(detectFileType(utf8('Intro\n\n- one\n- two\n'))).toBe('markdown');
    expect(detectFileType(utf8('Code:\n\n```js\nx()\n```\n'))).toBe('markdown');
    expect(detectFileType(utf8('Title\n=====\n\nBody\n'))).toBe('markdown');
    expect(detectFileType(utf8('---\ntitle: Notes\n---\nBody\n'))).toBe('markdown');
    expect(detectFileType(utf8('# Title\n\nBody text.\n'), 'notes.txt')).toBe('text');
  });

  it('falls back to plain text, including non-English text and empty files', () => {
    expect(detectFileType(utf8('Bonjour à tous.\n\n你好，世界。\n\nこんにちは世界。'))).toBe('text');
    expect(detectFileType(utf8('\uFEFFwith a BOM'))).toBe('text');
    expect(detectFileType(new Uint8Array(0), 'empty.txt')).toBe('text');
    expect(detectFileType(utf8('\u001b[31mred\u001b[0m log line'))).toBe('text');
  });
});

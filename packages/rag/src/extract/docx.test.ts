import { describe, expect, it } from 'vitest';
import { chunk } from '../chunk';
import { expectChunkInvariants, makeDocx, makeZip, utf8 } from '../test-support';
import { extract } from './index';

const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';

/** A DOCX with a handwritten document.xml (and optional styles/core parts). */
const handwritten = (body: string, extra: Record<string, string> = {}, prefix = 'w') =>
  makeZip({
    '[Content_Types].xml': '<Types/>',
    'word/document.xml': `<?xml version="1.0"?><${prefix}:document xmlns:${prefix}="${W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><${prefix}:body>${body}</${prefix}:body></${prefix}:document>`,
    ...extra,
  });

describe('DOCX extraction', () => {
  it('reads headings with levels, paragraphs, list items, table rows and the core title', async () => {
    const e = await extract(await makeDocx(), 'docx');
    expect(e.type).toBe('docx');
    expect(e.title).toBe('Quarterly Handbook');
    expect(e.page_count).toBeNull();
    expect(e.pages).toEqual([{ page_number: null, text: e.text }]);
    expect(e.blocks).toEqual([
      { kind: 'heading', text: 'Employee Handbook', level: 1, page_number: null },
      { kind: 'heading', text: 'Onboarding', level: 1, page_number: null },
      // The deleted revision is gone, the inserted one kept.
      { kind: 'paragraph', text: 'Welcome to the team. Read this first. Added later.', page_number: null },
      // w:tab → a space, w:br → a line break.
      { kind: 'paragraph', text: 'Name Value\nSecond line', page_number: null },
      { kind: 'heading', text: 'Equipment', level: 2, page_number: null },
      { kind: 'list', text: 'Laptop', level: 1, page_number: null },
      { kind: 'list', text: 'Charger and bag', level: 2, page_number: null },
      { kind: 'list', text: 'Badge', level: 1, page_number: null },
      { kind: 'list', text: 'Sign the contract', level: 1, page_number: null },
      { kind: 'list', text: 'Meet the team', level: 1, page_number: null },
      { kind: 'heading', text: 'Schedule', level: 1, page_number: null },
      { kind: 'table', text: 'Day | Activity | Room', page_number: null },
      { kind: 'table', text: 'Monday | Welcome breakfast | A1', page_number: null },
      { kind: 'table', text: 'Tuesday | Security training', page_number: null },
      { kind: 'paragraph', text: 'Questions go to the HR desk.', page_number: null },
    ]);
    expect(e.text).not.toContain('REMOVED');
    const chunks = chunk(e, { chunk_size: 100, chunk_overlap: 20 });
    expectChunkInvariants(e, chunks, 100);
    expect(chunks.find((c) => c.text.includes('Monday'))?.heading).toBe('Schedule');
    expect(chunks.find((c) => c.text.includes('Laptop'))?.heading).toBe('Equipment');
  });

  it('skips moved-from text, field codes, alternate-content fallbacks and tab stops; nests tables', async () => {
    const body = `
      <w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
        <w:r><w:t>Kept</w:t></w:r><w:moveFrom><w:r><w:t>MOVED AWAY</w:t></w:r></w:moveFrom>
        <w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK "https://x.test" </w:instrText></w:r>
        <w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t xml:space="preserve"> link text</w:t></w:r>
        <w:r><w:fldChar w:fldCharType="end"/></w:r>
        <w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:t>[box]</w:t></mc:Choice><mc:Fallback><w:t>[FALLBACK]</w:t></mc:Fallback></mc:AlternateContent></w:r>
        <w:r><w:t>&amp; more &#x263A;</w:t></w:r></w:p>
      <w:tbl><w:tblPr><w:tblW w:w="0"/></w:tblPr>
        <w:tr><w:tc><w:p><w:r><w:t>Outer A</w:t></w:r></w:p></w:tc>
          <w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>in1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>in2</w:t></w:r></w:p></w:tc></w:tr>
            <w:tr><w:tc><w:p><w:r><w:t>in3</w:t></w:r></w:p></w:tc></w:tr></w:tbl></w:tc></w:tr>
      </w:tbl>`;
    const e = await extract(await handwritten(body), 'docx');
    expect(e.blocks).toEqual([
      { kind: 'paragraph', text: 'Kept link text[box]& more ☺', page_number: null },
      { kind: 'table', text: 'Outer A | in1 | in2 / in3', page_number: null },
    ]);
  });

  it('resolves heading styles through styles.xml (localised ids, outline levels, basedOn)', async () => {
    const styles = `<?xml version="1.0"?><w:styles xmlns:w="${W}">
      <w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>
      <w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="My Section"/><w:basedOn w:val="berschrift1"/></w:style>
      <w:style w:type="paragraph" w:styleId="Outline"><w:name w:val="Outline"/><w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>
      <w:style w:type="paragraph" w:styleId="Puce"><w:name w:val="Liste à puces"/><w:pPr><w:numPr><w:numId w:val="4"/></w:numPr></w:pPr></w:style>
    </w:styles>`;
    const p = (style: string, text: string) =>
      `<w:p><w:pPr><w:pStyle w:val="${style}"/></w:pPr><w:r><w:t>${text}</w:t></w:r></w:p>`;
    const body = `${p('berschrift1', 'Einleitung')}${p('Custom', 'Derived')}${p('Outline', 'Third level')}${p('Puce', 'Point')}
      <w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Direct outline</w:t></w:r></w:p>
      <w:p><w:pPr><w:pStyle w:val="Puce"/><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>Numbering removed</w:t></w:r></w:p>`;
    const e = await extract(await handwritten(body, { 'word/styles.xml': styles }), 'docx');
    expect(e.blocks.map((b) => [b.kind, b.text, b.level])).toEqual([
      ['heading', 'Einleitung', 1],
      ['heading', 'Derived', 1],
      ['heading', 'Third level', 3],
      ['list', 'Point', 1],
      ['heading', 'Direct outline', 2],
      ['paragraph', 'Numbering removed', undefined],
    ]);
  });

  it('follows the WordprocessingML namespace whatever its prefix', async () => {
    const e = await extract(await handwritten('<x:p><x:r><x:t>Prefixed</x:t></x:r></x:p>', {}, 'x'), 'docx');
    expect(e.text).toBe('Prefixed');
  });

  it('fails with EMPTY for a document without text and CORRUPT for a broken archive', async () => {
    await expect(extract(await handwritten('<w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p>'), 'docx')).rejects.toMatchObject(
      {
        code: 'UNPROCESSABLE',
        details: { reason: 'EMPTY' },
      },
    );
    const docx = await makeDocx();
    const broken = docx.slice();
    broken.fill(0x41, 200, broken.length - 200); // entries' data and headers overwritten
    await expect(extract(broken, 'docx')).rejects.toMatchObject({ details: { reason: 'CORRUPT' } });
    await expect(extract(utf8('PK\u0003\u0004 nonsense'), 'docx')).rejects.toMatchObject({
      details: { reason: 'CORRUPT' },
    });
    await expect(extract(await makeZip({ 'other.xml': '<x/>' }), 'docx')).rejects.toMatchObject({
      details: { reason: 'CORRUPT' },
      message: 'The Word document has no word/document.xml',
    });
  });
});

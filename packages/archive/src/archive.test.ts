import { beforeAll, describe, expect, it } from 'vitest';
import { ArchiveLimitError, ArchiveUnsafeError, DEFAULT_ARCHIVE_LIMITS, looksLikeZip, openArchive } from './index';
import { buildBombs, buildDocx, buildZip, failure, noise, type ZipEntrySpec } from './test-support';

const MiB = 1024 * 1024;

const unsafe = (problem: string, extra: Record<string, unknown> = {}) => ({
  code: 'ARCHIVE_UNSAFE',
  status: 422,
  details: { problem, ...extra },
});

/** A 413 with exactly these details. */
const expectTooLarge = (err: any, cap: string, limit: number, actual: number, entry?: string) => {
  expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
  expect(err.details).toEqual({ reason: 'ARCHIVE_TOO_LARGE', cap, limit, actual, ...(entry ? { entry } : {}) });
};

/** The offset of the central directory record of entry `index` in an archive built by `buildZip`. */
const centralRecord = (zip: Uint8Array, index: number) => {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let at = view.getUint32(zip.length - 22 + 16, true);
  for (let i = 0; i < index; i++) at += 46 + view.getUint16(at + 28, true);
  return { view, at };
};

let bombs: Awaited<ReturnType<typeof buildBombs>>;
beforeAll(async () => {
  bombs = await buildBombs();
}, 30_000);

describe('openArchive: reading', () => {
  it('lists entries and reads deflated and stored ones, from JSZip and from docx output', async () => {
    const JSZip = (await import('jszip')).default;
    const zip = new JSZip();
    zip.file('word/document.xml', '<w:document>café 東京</w:document>');
    zip.file('media/raw.bin', new Uint8Array([1, 2, 3]), { compression: 'STORE' });
    zip.folder('empty');
    const bytes = await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
    expect(looksLikeZip(bytes)).toBe(true);
    const archive = openArchive(bytes);
    expect(archive.entries.map((e) => [e.name, e.directory])).toEqual([
      ['word/', true],
      ['word/document.xml', false],
      ['media/', true],
      ['media/raw.bin', false],
      ['empty/', true],
    ]);
    expect(await archive.readText(archive.get('word/document.xml')!)).toBe('<w:document>café 東京</w:document>');
    const raw = archive.get('media/raw.bin')!;
    expect(raw).toMatchObject({ method: 0, size: 3, compressedSize: 3 });
    expect([...(await archive.read(raw))]).toEqual([1, 2, 3]);
    await archive.verify();
    expect(archive.has('word/document.xml')).toBe(true);
    expect(archive.get('missing.xml')).toBeUndefined();

    const { Document, Packer, Paragraph } = await import('docx');
    const docx = new Uint8Array(
      await Packer.toArrayBuffer(new Document({ sections: [{ children: [new Paragraph('Hello {{name}}')] }] })),
    );
    const word = openArchive(docx);
    expect(await word.readText(word.get('word/document.xml')!)).toContain('Hello {{name}}');
    await word.verify();
  });

  it('reads empty entries and honours a lower per-read cap, checked before inflating', async () => {
    const archive = openArchive(
      await buildZip([
        { name: 'empty.txt', content: '' },
        { name: 'big.xml', content: noise(2 * MiB) },
      ]),
    );
    expect(await archive.readText(archive.get('empty.txt')!)).toBe('');
    const big = archive.get('big.xml')!;
    expect((await archive.read(big)).length).toBe(2 * MiB);
    expectTooLarge(await failure(() => archive.read(big, { maxBytes: MiB })), 'entry_bytes', MiB, 2 * MiB, 'big.xml');
  });

  it('is not fooled by a signature inside the archive comment area or by junk', async () => {
    expect(looksLikeZip(new TextEncoder().encode('PK nope'))).toBe(false);
    for (const bytes of [new Uint8Array(0), new TextEncoder().encode('not a zip at all, just text')]) {
      expect(await failure(() => openArchive(bytes))).toMatchObject(unsafe('corrupt'));
    }
  });
});

describe('openArchive: caps from the central directory (nothing inflated)', () => {
  it('has documented defaults', () => {
    expect(DEFAULT_ARCHIVE_LIMITS).toEqual({
      maxEntries: 2000,
      maxEntryBytes: 50 * MiB,
      maxTotalBytes: 100 * MiB,
      maxRatio: 200,
      ratioFromBytes: MiB,
    });
    expect(() => openArchive(new Uint8Array(22), { maxEntries: -1 })).toThrow(RangeError);
  });

  it('refuses the 100 MB document.xml of a 100 KB file by its declared size', async () => {
    expect(bombs.honest.length).toBeLessThan(200 * 1024);
    const err = await failure(() => openArchive(bombs.honest));
    expect(err).toBeInstanceOf(ArchiveLimitError);
    expectTooLarge(err, 'entry_bytes', 50 * MiB, 100 * MiB, 'word/document.xml');
    expect(err.message).toBe('The entry word/document.xml inflates to 100 MB; at most 50 MB per entry are accepted');
    // With a per-entry cap that lets it through, the ratio (about 1,000:1) still refuses it.
    expectTooLarge(
      await failure(() => openArchive(bombs.honest, { maxEntryBytes: 200 * MiB, maxTotalBytes: 200 * MiB })),
      'ratio',
      200,
      Math.round((100 * MiB) / bombs.run.deflated.length),
      'word/document.xml',
    );
  });

  it('counts entries, the total and the ratio, each overridable', async () => {
    expectTooLarge(await failure(() => openArchive(bombs.manyEntries)), 'entries', 2000, 3003);
    expect(openArchive(bombs.manyEntries, { maxEntries: 5000 }).entries).toHaveLength(3003);

    const three = await buildZip(
      ['a', 'b', 'c'].map((name): ZipEntrySpec => ({ name, content: { byte: 0x41, length: 300 } })),
    );
    expectTooLarge(await failure(() => openArchive(three, { maxTotalBytes: 800 })), 'total_bytes', 800, 900);
    expectTooLarge(await failure(() => openArchive(three, { maxEntryBytes: 299 })), 'entry_bytes', 299, 300, 'a');
    // 300 bytes of one letter compress about 60:1: under the floor no ratio applies, above it 10:1 is too much.
    expect(openArchive(three, { maxRatio: 10 }).entries).toHaveLength(3);
    const ratio = await failure(() => openArchive(three, { maxRatio: 10, ratioFromBytes: 100 }));
    const compressed = openArchive(three).get('a')!.compressedSize;
    expectTooLarge(ratio, 'ratio', 10, Math.round(300 / compressed), 'a');
    expect(ratio.details.actual).toBeGreaterThan(10);
  });
});

describe('reading entries whose headers lie', () => {
  it('stops inflating a lying document.xml right after its declared size, without allocating 100 MB', async () => {
    const archive = openArchive(bombs.lying);
    const entry = archive.get('word/document.xml')!;
    expect(entry.size).toBe(1024);
    const err = await failure(() => archive.readText(entry));
    expect(err).toBeInstanceOf(ArchiveUnsafeError);
    expect(err).toMatchObject(unsafe('size_mismatch', { entry: 'word/document.xml', declared_bytes: 1024 }));
    // Inflation stopped within one input slice's worth of output, nowhere near 100 MB.
    expect(err.details.inflated_bytes).toBeGreaterThan(1024);
    expect(err.details.inflated_bytes).toBeLessThan(8 * MiB);
    expect(err.message).toBe('The entry word/document.xml declares 1,024 bytes but inflates to more; reading stopped');
  });

  it('verify() proves every entry, including one no reader would have opened', async () => {
    const archive = openArchive(bombs.lyingMedia);
    expect(await archive.readText(archive.get('word/document.xml')!)).toContain('Dear {{client}}');
    expect(await failure(() => archive.verify())).toMatchObject(
      unsafe('size_mismatch', { entry: 'word/media/image1.png', declared_bytes: 1024 }),
    );
  });

  it('refuses entries that inflate to less than declared, fail their checksum or are not DEFLATE', async () => {
    const short = openArchive(await buildZip([{ name: 'a.xml', content: '<a/>', declaredSize: 10 }]));
    expect(await failure(() => short.read(short.get('a.xml')!))).toMatchObject(
      unsafe('size_mismatch', { declared_bytes: 10, inflated_bytes: 4 }),
    );

    const good = await buildZip([{ name: 'a.xml', content: '<a>checksum</a>' }]);
    const { view, at } = centralRecord(good, 0);
    view.setUint32(at + 16, view.getUint32(at + 16, true) ^ 1, true);
    const badCrc = openArchive(good);
    expect(await failure(() => badCrc.verify())).toMatchObject(unsafe('crc_mismatch', { entry: 'a.xml' }));

    const garbage = await buildZip([{ name: 'a.bin', content: new Uint8Array(64).fill(0xff), method: 0 }]);
    const { view: v2, at: at2 } = centralRecord(garbage, 0);
    v2.setUint16(at2 + 10, 8, true); // claims deflate over bytes that are not
    v2.setUint32(at2 + 24, 100, true);
    const notDeflate = openArchive(garbage);
    expect(await failure(() => notDeflate.verify())).toMatchObject(unsafe('corrupt', { entry: 'a.bin' }));

    const stored = await buildZip([{ name: 's.bin', content: 'abc', method: 0, declaredSize: 5000 }]);
    expect(await failure(() => openArchive(stored))).toMatchObject(unsafe('size_mismatch', { entry: 's.bin' }));
  });
});

describe('openArchive: unsafe names and structures', () => {
  it.each([
    ['../evil.xml', 'parent_path'],
    ['word/../../evil.xml', 'parent_path'],
    ['..\\evil.xml', 'parent_path'],
    ['/etc/passwd', 'absolute_path'],
    ['\\windows\\x', 'absolute_path'],
    ['C:\\x.xml', 'absolute_path'],
    ['a\u0000b', 'invalid_name'],
  ])('refuses the entry name %j (%s)', async (name, problem) => {
    const bytes = await buildDocx('ok', [{ name, content: '<x/>' }]);
    const err = await failure(() => openArchive(bytes));
    expect(err).toMatchObject(unsafe(problem, { entry: name }));
  });

  it('refuses duplicate names, also when only the case differs', async () => {
    for (const second of ['word/document.xml', 'WORD/Document.xml']) {
      const bytes = await buildDocx('first', [{ name: second, content: '<second/>' }]);
      expect(await failure(() => openArchive(bytes))).toMatchObject(unsafe('duplicate_name', { entry: second }));
    }
  });

  it('refuses encrypted entries and compression methods other than stored and deflate', async () => {
    const encrypted = await buildZip([{ name: 'secret.xml', content: '<x/>', flags: 1 }]);
    expect(await failure(() => openArchive(encrypted))).toMatchObject(unsafe('encrypted', { entry: 'secret.xml' }));
    const aes = await buildZip([{ name: 'aes.xml', content: '<x/>', declaredMethod: 99 }]);
    expect(await failure(() => openArchive(aes))).toMatchObject(unsafe('encrypted'));
    const bzip2 = await buildZip([{ name: 'b.xml', content: '<x/>', declaredMethod: 12 }]);
    expect(await failure(() => openArchive(bzip2))).toMatchObject(unsafe('unsupported_method', { method: 12 }));
  });

  it('refuses ZIP64 markers, truncated directories and local headers that disagree', async () => {
    const zip = await buildZip([{ name: 'a.xml', content: '<a/>' }]);
    const zip64 = zip.slice();
    new DataView(zip64.buffer).setUint16(zip64.length - 22 + 10, 0xffff, true);
    expect(await failure(() => openArchive(zip64))).toMatchObject(unsafe('unsupported_format'));

    const truncated = zip.slice();
    new DataView(truncated.buffer).setUint16(truncated.length - 22 + 8, 2, true);
    new DataView(truncated.buffer).setUint16(truncated.length - 22 + 10, 2, true);
    expect(await failure(() => openArchive(truncated))).toMatchObject(unsafe('corrupt'));

    const renamed = zip.slice();
    renamed[30] = 'b'.charCodeAt(0); // the local header now names b.xml
    expect(await failure(() => openArchive(renamed))).toMatchObject(unsafe('corrupt', { entry: 'a.xml' }));
  });

  it('refuses entries whose data overlap another entry', async () => {
    // a.bin stores a complete local entry for b.xml; b.xml's directory record points into a.bin's data.
    const inner = await buildZip([{ name: 'b.xml', content: '<b/>', method: 0 }]);
    const innerLocal = inner.subarray(0, 30 + 'b.xml'.length + 4);
    const zip = await buildZip([
      { name: 'a.bin', content: innerLocal, method: 0 },
      { name: 'b.xml', content: '<b/>', method: 0 },
    ]);
    const { view, at } = centralRecord(zip, 1);
    view.setUint32(at + 42, 30 + 'a.bin'.length, true);
    expect(await failure(() => openArchive(zip))).toMatchObject(unsafe('overlapping_entries', { entry: 'b.xml' }));
  });
});

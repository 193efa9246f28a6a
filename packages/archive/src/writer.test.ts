import { describe, expect, it } from 'vitest';
import { crc32, openArchive, ZipWriter } from './index';
import { failure, noise } from './test-support';

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** 5,000 rows of text in pieces, about 190 KB: more than two of the writer's 64 K-character chunks. */
function* rows(): Generator<string> {
  yield '<rows>';
  for (let i = 1; i <= 5_000; i++) yield `<row n="${i}">Zürich 東京 🚀 ${i}</row>`;
  yield '</rows>';
}
const rowsText = () => [...rows()].join('');

const header = (zip: Uint8Array, at: number) => {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  return {
    signature: view.getUint32(at, true),
    version: view.getUint16(at + 4, true),
    flags: view.getUint16(at + 6, true),
    method: view.getUint16(at + 8, true),
    time: view.getUint16(at + 10, true),
    date: view.getUint16(at + 12, true),
    crc: view.getUint32(at + 14, true),
    compressedSize: view.getUint32(at + 18, true),
    size: view.getUint32(at + 22, true),
    nameLength: view.getUint16(at + 26, true),
    extraLength: view.getUint16(at + 28, true),
  };
};

describe('ZipWriter', () => {
  it('writes deflated and stored entries that the reader lists, inflates and checks', async () => {
    const image = noise(200_000);
    const zip = new ZipWriter();
    await zip.add('docs/hello.txt', 'Grüße, 世界 😀');
    await zip.add('xl/worksheets/sheet1.xml', rows());
    await zip.add('media/image1.png', image, { store: true });
    await zip.add('data/noise.bin', image);
    await zip.add('empty.txt', '');
    await zip.add('stored.txt', 'stored text', { store: true });
    const bytes = zip.finish();

    const archive = openArchive(bytes);
    expect(
      archive.entries.map(({ name, method, size, crc, directory }) => ({ name, method, size, crc, directory })),
    ).toEqual([
      { name: 'docs/hello.txt', method: 8, size: 20, crc: crc32(bytesOf('Grüße, 世界 😀')), directory: false },
      {
        name: 'xl/worksheets/sheet1.xml',
        method: 8,
        size: bytesOf(rowsText()).length,
        crc: crc32(bytesOf(rowsText())),
        directory: false,
      },
      { name: 'media/image1.png', method: 0, size: 200_000, crc: crc32(image), directory: false },
      { name: 'data/noise.bin', method: 8, size: 200_000, crc: crc32(image), directory: false },
      { name: 'empty.txt', method: 8, size: 0, crc: 0, directory: false },
      { name: 'stored.txt', method: 0, size: 11, crc: crc32(bytesOf('stored text')), directory: false },
    ]);
    // Stored data is the content itself; the sheet compresses well.
    expect(archive.get('media/image1.png')!.compressedSize).toBe(200_000);
    expect(archive.get('stored.txt')!.data).toEqual(bytesOf('stored text'));
    expect(archive.get('xl/worksheets/sheet1.xml')!.compressedSize).toBeLessThan(bytesOf(rowsText()).length / 5);

    expect(await archive.readText(archive.get('docs/hello.txt')!)).toBe('Grüße, 世界 😀');
    expect(await archive.readText(archive.get('xl/worksheets/sheet1.xml')!)).toBe(rowsText());
    expect(await archive.read(archive.get('media/image1.png')!)).toEqual(image);
    expect(await archive.read(archive.get('data/noise.bin')!)).toEqual(image);
    expect(await archive.readText(archive.get('empty.txt')!)).toBe('');
    expect(await archive.readText(archive.get('stored.txt')!)).toBe('stored text');
    await archive.verify();
  });

  it('writes the CRC-32 of the content, which the reader checks', async () => {
    const zip = new ZipWriter();
    await zip.add('check.txt', '123456789', { store: true });
    await zip.add('deflated.txt', '123456789');
    const bytes = zip.finish();
    // The standard check value of CRC-32 for "123456789".
    expect(header(bytes, 0).crc).toBe(0xcbf43926);
    expect(openArchive(bytes).entries.map((e) => e.crc)).toEqual([0xcbf43926, 0xcbf43926]);

    // One changed byte of stored content: the reader refuses it by its checksum.
    const damaged = bytes.slice();
    damaged[30 + 'check.txt'.length] = '0'.charCodeAt(0);
    const archive = openArchive(damaged);
    expect(await failure(() => archive.read(archive.get('check.txt')!))).toMatchObject({
      code: 'ARCHIVE_UNSAFE',
      details: { problem: 'crc_mismatch', entry: 'check.txt' },
    });
    expect(await failure(() => archive.verify())).toMatchObject({ details: { problem: 'crc_mismatch' } });
  });

  it('lays out headers exactly: UTF-8 names, a fixed 1980-01-01 date, no extra fields', async () => {
    const zip = new ZipWriter();
    await zip.add('ä.txt', 'abc', { store: true });
    const bytes = zip.finish();
    const name = bytesOf('ä.txt');
    expect(header(bytes, 0)).toEqual({
      signature: 0x04034b50,
      version: 20,
      flags: 0x0800,
      method: 0,
      time: 0,
      date: (1 << 5) | 1,
      crc: crc32(bytesOf('abc')),
      compressedSize: 3,
      size: 3,
      nameLength: name.length,
      extraLength: 0,
    });
    expect(bytes.subarray(30, 30 + name.length)).toEqual(name);
    expect(new TextDecoder().decode(bytes.subarray(30 + name.length, 33 + name.length))).toBe('abc');
    // Local header + data, central record, end record.
    const central = 30 + name.length + 3;
    expect(bytes.length).toBe(central + 46 + name.length + 22);
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(central, true)).toBe(0x02014b50);
    expect(view.getUint32(central + 42, true)).toBe(0);
    const end = bytes.length - 22;
    expect(view.getUint32(end, true)).toBe(0x06054b50);
    expect(view.getUint16(end + 10, true)).toBe(1);
    expect(view.getUint32(end + 12, true)).toBe(46 + name.length);
    expect(view.getUint32(end + 16, true)).toBe(central);
  });

  it('is deterministic: the same entries give the same bytes', async () => {
    const write = async () => {
      const zip = new ZipWriter();
      await zip.add('a.xml', rows());
      await zip.add('b.bin', noise(1000), { store: true });
      return zip.finish();
    };
    expect(await write()).toEqual(await write());
  });

  it('copies entries of another archive as they are stored (addRaw)', async () => {
    const source = new ZipWriter();
    await source.add('sheet.xml', rows());
    await source.add('raw.bin', noise(500), { store: true });
    const original = openArchive(source.finish());

    const copy = new ZipWriter();
    for (const entry of original.entries) copy.addRaw(entry.name, entry);
    const copied = openArchive(copy.finish());
    expect(copied.entries).toEqual(original.entries);
    expect(await copied.readText(copied.get('sheet.xml')!)).toBe(rowsText());
    expect(await copied.read(copied.get('raw.bin')!)).toEqual(noise(500));
  });

  it('reads back through JSZip too', async () => {
    const zip = new ZipWriter();
    await zip.add('text.xml', rows());
    await zip.add('image.png', noise(3000), { store: true });
    const JSZip = (await import('jszip')).default;
    const read = await JSZip.loadAsync(zip.finish(), { checkCRC32: true });
    expect(Object.keys(read.files)).toEqual(['text.xml', 'image.png']);
    expect(await read.file('text.xml')!.async('string')).toBe(rowsText());
    expect(await read.file('image.png')!.async('uint8array')).toEqual(noise(3000));
  });

  it('cannot be written to after finish', async () => {
    const zip = new ZipWriter();
    await zip.add('a.txt', 'a');
    zip.finish();
    await expect(zip.add('b.txt', 'b')).rejects.toThrow('ZipWriter: the archive is already finished');
    expect(() => zip.finish()).toThrow('ZipWriter: the archive is already finished');
  });
});

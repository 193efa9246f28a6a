import { env, exports } from 'cloudflare:workers';
import { createLocalProvider, type ImageRequest, type ImageResult } from '@flowspark/ai';
import { createDb } from '@flowspark/db';
import { createImageGeneration, type NewImage } from '@flowspark/documents';
import { expect } from 'vitest';
import { setAiProviderFactory } from '../../workers/lib/ai';
import { expectOk, type TestTenant } from '../helpers/harness';
import { deliver, eventually, messageFor, readJob } from '../jobs/helpers';

export const IMAGES = '/api/v1/images';

/** POST /images/generate as the tenant's owner; the 202's data. */
export const generate = async (tenant: TestTenant, body: Record<string, unknown>) =>
  expectOk(await tenant.as('POST', `${IMAGES}/generate`, { body }), 202).body.data as Record<string, any>;

/**
 * Runs the image's job to its end. The real queue may deliver the message first: then this delivery
 * finds the job running (or done) and the poll waits for that one.
 */
export const runJob = async (job: { id: string; orgId: string }) => {
  await deliver(messageFor(job));
  return eventually(async () => {
    const row = await readJob(job.id);
    return ['done', 'error', 'cancelled'].includes(row.status) ? row : undefined;
  });
};

export const readImage = (id: string) =>
  env.DB.prepare('SELECT * FROM images WHERE id = ?').bind(id).first<Record<string, any>>();

/** Every R2 object of the tenant's images. */
export const imageObjects = async (orgId: string) =>
  (await env.FILES.list({ prefix: `tenants/${orgId}/images/` })).objects;

/** An image and its job written as the route does, but not enqueued: only the test delivers it. */
export const pendingImage = (tenant: Pick<TestTenant, 'orgId' | 'userId'>, input: NewImage) =>
  createImageGeneration(createDb(env.DB), { orgId: tenant.orgId, userId: tenant.userId }, input);

/** Raw GET of the download route (the harness's `call` reads bodies as text). */
export const download = (token: string, id: string, headers: Record<string, string> = {}) =>
  exports.default.fetch(
    new Request(`http://localhost${IMAGES}/${id}/download`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    }),
  );

/**
 * Runs `fn` with a provider whose image generation is `generateImage` (every other operation stays
 * the local one), through the documented override of workers/lib/ai.ts; restored afterwards.
 */
export const withImageProvider = async <T>(
  generateImage: (req: ImageRequest) => Promise<ImageResult>,
  fn: () => Promise<T>,
): Promise<T> => {
  const fake = { ...createLocalProvider(), generateImage };
  setAiProviderFactory(() => fake);
  try {
    return await fn();
  } finally {
    setAiProviderFactory(null);
  }
};

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decodes a PNG as far as a test needs, independently of the code under test: signature, every
 * chunk's CRC, IHDR, and the inflated pixel data's size and filter bytes.
 */
export const decodePng = async (bytes: Uint8Array) => {
  expect(Array.from(bytes.subarray(0, 8))).toEqual(PNG_SIGNATURE);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { type: string; data: Uint8Array }[] = [];
  let at = 8;
  while (at < bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    expect(view.getUint32(at + 8 + length), `CRC of ${type}`).toBe(crc32(bytes.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks[0]?.type).toBe('IHDR');
  expect(chunks.at(-1)?.type).toBe('IEND');
  const ihdr = new DataView(chunks[0]!.data.buffer, chunks[0]!.data.byteOffset, 13);
  const header = {
    width: ihdr.getUint32(0),
    height: ihdr.getUint32(4),
    bitDepth: ihdr.getUint8(8),
    colorType: ihdr.getUint8(9),
  };
  const idat = chunks.filter((c) => c.type === 'IDAT').map((c) => c.data);
  const compressed = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const part of idat) {
    compressed.set(part, offset);
    offset += part.length;
  }
  const stream = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('deflate'));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[header.colorType as 0 | 2 | 4 | 6] ?? 0;
  const stride = 1 + (header.width * channels * header.bitDepth) / 8;
  expect(raw.length).toBe(stride * header.height);
  for (let row = 0; row < header.height; row++) expect(raw[row * stride]).toBeLessThanOrEqual(4);
  return { ...header, raw, stride };
};

export { tinyJpeg } from '../helpers/files';

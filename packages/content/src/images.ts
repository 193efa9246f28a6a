/**
 * Generated images. A request writes the image row (`pending`) and its job in one batch; the job
 * (workers/jobs/handlers/image-generate.ts) asks the AI provider for the picture, checks that the bytes
 * really are an image, stores them in R2 under the tenant and completes the row in one statement.
 * Every query is scoped to the tenant.
 */
import { newId, type PageRequest } from '@flowspark/core';
import { type Database, paginate, schema } from '@flowspark/db';
import { buildJob, type JobRow } from '@flowspark/jobs';
import { and, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { resourcePrefix, versionFileKey } from './files';

const { images, jobs } = schema;

export type ImageRow = typeof images.$inferSelect;
export type ImageStatus = ImageRow['status'];
export const IMAGE_STATUSES = [
  'pending',
  'processing',
  'completed',
  'failed',
] as const satisfies readonly ImageStatus[];

export const IMAGE_JOB_TYPE = 'image.generate';
export const IMAGE_RESOURCE_TYPE = 'image';

/** Request limits (the route's schema enforces them; the job trusts the row). */
export const MAX_IMAGE_PROMPT = 2_000;
export const MIN_IMAGE_SIDE = 256;
export const MAX_IMAGE_SIDE = 2_048;
export const IMAGE_SIDE_STEP = 64;
export const DEFAULT_IMAGE_SIDE = 1_024;
/** A provider answer larger than this is refused (a 2048×2048 RGB PNG stays well below it). */
export const MAX_IMAGE_BYTES = 25 * 1024 * 1024;

export type ImageContentType = 'image/png' | 'image/jpeg';

export interface ImageView {
  id: string;
  prompt: string;
  negative_prompt: string | null;
  width: number;
  height: number;
  status: ImageStatus;
  file_size_bytes: number;
  content_type: string | null;
  model_used: string | null;
  generation_time_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  job_id: string | null;
  created_at: string;
  updated_at: string;
  download_url: string | null;
}

/** Never the R2 key or the organization. The download URL is the API path, like a document's. */
export const presentImage = (row: ImageRow): ImageView => ({
  id: row.id,
  prompt: row.prompt,
  negative_prompt: row.negativePrompt,
  width: row.width,
  height: row.height,
  status: row.status,
  file_size_bytes: row.fileSizeBytes,
  content_type: row.contentType,
  model_used: row.modelUsed,
  generation_time_ms: row.generationTimeMs,
  error_code: row.errorCode,
  error_message: row.errorMessage,
  job_id: row.jobId,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  download_url: row.status === 'completed' && row.fileKey ? `/api/v1/images/${row.id}/download` : null,
});

export interface NewImage {
  prompt: string;
  negative_prompt?: string;
  width?: number;
  height?: number;
  seed?: number;
}

/** The seed is a generation parameter, not a column: the job carries it in its (small) input. */
export interface ImageJobInput {
  seed?: number;
}

/** The image row and its queued job, written in one batch (no image without a job, or the reverse). */
export const createImageGeneration = async (
  db: Database,
  actor: { orgId: string; userId: string | null },
  input: NewImage,
): Promise<{ image: ImageRow; job: JobRow }> => {
  const id = newId('img');
  const job = buildJob({
    orgId: actor.orgId,
    type: IMAGE_JOB_TYPE,
    resourceType: IMAGE_RESOURCE_TYPE,
    resourceId: id,
    input: input.seed === undefined ? null : { seed: input.seed },
    createdBy: actor.userId,
  });
  const image: ImageRow = {
    id,
    orgId: actor.orgId,
    prompt: input.prompt,
    negativePrompt: input.negative_prompt ?? null,
    width: input.width ?? DEFAULT_IMAGE_SIDE,
    height: input.height ?? DEFAULT_IMAGE_SIDE,
    status: 'pending',
    fileKey: null,
    fileSizeBytes: 0,
    contentType: null,
    modelUsed: null,
    generationTimeMs: null,
    errorCode: null,
    errorMessage: null,
    jobId: job.id,
    createdBy: actor.userId,
    createdAt: job.createdAt,
    updatedAt: job.createdAt,
  };
  await db.batch([db.insert(images).values(image), db.insert(jobs).values(job)]);
  return { image, job };
};

export const getImage = async (db: Database, orgId: string, id: string): Promise<ImageRow | null> => {
  const rows = await db
    .select()
    .from(images)
    .where(and(eq(images.id, id), eq(images.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

/** Newest first: one page query and one count, in one batch. */
export const listImages = async (
  db: Database,
  orgId: string,
  query: PageRequest & { status?: ImageStatus },
): Promise<{ items: ImageRow[]; total: number }> => {
  const conditions: SQL[] = [eq(images.orgId, orgId)];
  if (query.status) conditions.push(eq(images.status, query.status));
  const where = and(...conditions);
  return paginate(
    db,
    db.select().from(images).where(where).orderBy(desc(images.createdAt), desc(images.id)),
    { table: images, where },
    query,
  );
};

/** Deletes the row; the caller removes the files (`imagePrefix`) and stops the job. */
export const deleteImageRow = async (db: Database, orgId: string, id: string): Promise<boolean> => {
  const result = await db.delete(images).where(and(eq(images.id, id), eq(images.orgId, orgId)));
  return result.meta.changes > 0;
};

/** Every object of one image lives under this prefix (deleted as a whole). */
export const imagePrefix = (orgId: string, id: string) => resourcePrefix(orgId, 'images', id);

/** One object per image at a fixed key: a redelivered job overwrites it, never adds a second one. */
export const imageFileKey = (orgId: string, id: string, contentType: ImageContentType) =>
  versionFileKey(orgId, 'images', id, 1, contentType === 'image/png' ? 'png' : 'jpg');

/** `pending` (or `processing`, on a retry) → `processing`. Null when the image is gone or already ended. */
export const markImageProcessing = async (db: Database, orgId: string, id: string): Promise<ImageRow | null> => {
  const [row] = await db
    .update(images)
    .set({ status: 'processing', errorCode: null, errorMessage: null, updatedAt: new Date().toISOString() })
    .where(and(eq(images.id, id), eq(images.orgId, orgId), inArray(images.status, ['pending', 'processing'])))
    .returning();
  return row ?? null;
};

export interface ImageOutput {
  fileKey: string;
  sizeBytes: number;
  contentType: ImageContentType;
  modelUsed: string;
  generationTimeMs: number;
  /** What the provider actually produced (some models ignore the requested size). */
  width: number;
  height: number;
}

/**
 * `processing` → `completed` with its file, in one statement. Null when the image is no longer
 * processing (deleted, or failed by the job's end hook meanwhile): the caller then removes its file.
 */
export const completeImage = async (
  db: Database,
  orgId: string,
  id: string,
  output: ImageOutput,
): Promise<ImageRow | null> => {
  const [row] = await db
    .update(images)
    .set({
      status: 'completed',
      fileKey: output.fileKey,
      fileSizeBytes: output.sizeBytes,
      contentType: output.contentType,
      modelUsed: output.modelUsed,
      generationTimeMs: output.generationTimeMs,
      width: output.width,
      height: output.height,
      errorCode: null,
      errorMessage: null,
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(images.id, id), eq(images.orgId, orgId), eq(images.status, 'processing')))
    .returning();
  return row ?? null;
};

/** Any status → `failed`, with no file (the caller deletes the objects). Idempotent. */
export const failImage = async (db: Database, orgId: string, id: string, code: string, message: string) => {
  await db
    .update(images)
    .set({
      status: 'failed',
      fileKey: null,
      fileSizeBytes: 0,
      errorCode: code,
      errorMessage: message,
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(images.id, id), eq(images.orgId, orgId)));
};

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const pngInfo = (bytes: Uint8Array) => {
  if (bytes.length < 33 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The first chunk must be IHDR (13 bytes: width, height, ...).
  if (view.getUint32(8) !== 13 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  return { contentType: 'image/png' as const, width: view.getUint32(16), height: view.getUint32(20) };
};

/** Start-of-frame markers carry the size: C0–CF except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);

const jpegInfo = (bytes: Uint8Array) => {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan data before any frame
    const length = view.getUint16(at + 2);
    if (isStartOfFrame(marker)) {
      if (at + 9 > bytes.length) return null;
      return { contentType: 'image/jpeg' as const, height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
    }
    at += 2 + length;
  }
  return null;
};

/**
 * What the bytes really are, read from their content (never from the provider's word): a PNG with its
 * IHDR or a JPEG with a frame header, and its size in pixels. Null for anything else.
 */
export const sniffImage = (
  bytes: Uint8Array,
): { contentType: ImageContentType; width: number; height: number } | null => {
  const info = pngInfo(bytes) ?? jpegInfo(bytes);
  if (!info || info.width < 1 || info.height < 1) return null;
  return info;
};

/** A download name from the prompt's first words: letters and digits of any script, joined by dashes. */
export const imageFileName = (prompt: string, contentType: string | null): string => {
  const words = prompt
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 8);
  let base = words.join('-').toLowerCase();
  const chars = Array.from(base);
  // Cut at a word boundary when possible; Array.from never splits a surrogate pair.
  if (chars.length > 60)
    base = chars
      .slice(0, 60)
      .join('')
      .replace(/-[^-]*$/, '');
  return `${base || 'image'}.${contentType === 'image/jpeg' ? 'jpg' : 'png'}`;
};

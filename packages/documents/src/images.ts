/**
 * Generated images. A request writes the image row (`pending`) and its job in one batch; the job
 * (workers/jobs/handlers/image-generate.ts) asks the AI provider for the picture, checks that the bytes
 * really are an image, stores them in R2 under the tenant and completes the row in one statement.
 * Every query is scoped to the tenant.
 */
import { type Actor, deletePrefix, newId, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { buildJob, type JobRow } from '@flowspark/jobs';
import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { NO_OUTPUT_YET } from './document-types';
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
  /** The token reservation the job settles when it ends. */
  reservation_id?: string;
}

/** The image row and its queued job, written in one batch (no image without a job, or the reverse). */
export const createImageGeneration = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: NewImage,
  reservationId?: string,
): Promise<{ image: ImageRow; job: JobRow }> => {
  const id = newId('img');
  const jobInput: ImageJobInput = {
    ...(input.seed === undefined ? {} : { seed: input.seed }),
    ...(reservationId ? { reservation_id: reservationId } : {}),
  };
  const job = buildJob({
    orgId: actor.orgId,
    type: IMAGE_JOB_TYPE,
    resourceType: IMAGE_RESOURCE_TYPE,
    resourceId: id,
    input: Object.keys(jobInput).length > 0 ? { ...jobInput } : null,
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
    ...NO_OUTPUT_YET,
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
  return paginateNewestFirst(db, images, and(...conditions), query);
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

/**
 * What an image job that ended in error or was cancelled leaves behind: the image says why, and no
 * file stays downloadable. Idempotent.
 */
export const failImageGeneration = async (db: Database, files: R2Bucket, job: JobRow): Promise<void> => {
  const id = job.resourceId;
  if (!id) return;
  const cancelled = job.status === 'cancelled';
  await failImage(
    db,
    job.orgId,
    id,
    cancelled ? 'CANCELLED' : (job.errorCode ?? 'INTERNAL_ERROR'),
    cancelled ? 'The image generation was cancelled' : (job.errorMessage ?? 'The image could not be generated'),
  );
  await deletePrefix(files, imagePrefix(job.orgId, id));
};

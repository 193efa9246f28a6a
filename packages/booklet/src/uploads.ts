/**
 * Uploads for booklets: the original in R2 under the tenant, the row with what the content holds
 * (inspect.ts), its SHA-256 and size. Every query is scoped to the tenant.
 */
import { bytesToHex } from '@flowspark/auth';
import { type Actor, deletePrefix, newId, notFound, orgPrefix, type PageRequest } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, eq } from 'drizzle-orm';
import type { UploadInfo, UploadKind } from './inspect';

const { uploads } = schema;

export type UploadRow = typeof uploads.$inferSelect;

/** Default upload cap; the `BOOKLET_MAX_UPLOAD_BYTES` var overrides it. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export const maxUploadBytes = (vars: { BOOKLET_MAX_UPLOAD_BYTES?: unknown }): number => {
  const value = Number(vars.BOOKLET_MAX_UPLOAD_BYTES);
  return Number.isInteger(value) && value > 0 ? value : MAX_UPLOAD_BYTES;
};

const CONTENT_TYPES: Record<UploadKind, string> = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export const uploadPrefix = (orgId: string, id: string) => `${orgPrefix(orgId)}uploads/${id}/`;

/** Stores the original in R2, then the row; a failed row write removes the file again. */
export const createUpload = async (
  db: Database,
  files: R2Bucket,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: { filename: string | null; bytes: Uint8Array; info: UploadInfo },
): Promise<UploadRow> => {
  const id = newId('upl');
  const fileKey = `${uploadPrefix(actor.orgId, id)}original.${input.info.kind}`;
  await files.put(fileKey, input.bytes, { httpMetadata: { contentType: CONTENT_TYPES[input.info.kind] } });
  const row: UploadRow = {
    id,
    orgId: actor.orgId,
    filename: input.filename,
    kind: input.info.kind,
    sizeBytes: input.bytes.byteLength,
    sha256: bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', input.bytes))),
    fileKey,
    info: input.info as unknown as Record<string, unknown>,
    createdBy: actor.userId,
    createdAt: new Date().toISOString(),
  };
  try {
    await db.insert(uploads).values(row);
  } catch (err) {
    await files.delete(fileKey).catch(() => undefined);
    throw err;
  }
  return row;
};

export const getUpload = async (db: Database, orgId: string, id: string): Promise<UploadRow | null> => {
  const [row] = await db
    .select()
    .from(uploads)
    .where(and(eq(uploads.orgId, orgId), eq(uploads.id, id)))
    .limit(1);
  return row ?? null;
};

export const requireUpload = async (db: Database, orgId: string, id: string) => {
  const row = await getUpload(db, orgId, id);
  if (!row) throw notFound('Upload');
  return row;
};

export const listUploads = (db: Database, orgId: string, page: PageRequest & { kind?: UploadKind }) =>
  paginateNewestFirst(
    db,
    uploads,
    page.kind ? and(eq(uploads.orgId, orgId), eq(uploads.kind, page.kind)) : eq(uploads.orgId, orgId),
    page,
  );

/** Deletes the upload's file and row. */
export const deleteUpload = async (db: Database, files: R2Bucket, orgId: string, id: string): Promise<void> => {
  await requireUpload(db, orgId, id);
  await deletePrefix(files, uploadPrefix(orgId, id));
  await db.delete(uploads).where(and(eq(uploads.orgId, orgId), eq(uploads.id, id)));
};

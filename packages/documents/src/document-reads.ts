/** Reading documents and their versions, and finding the file a download sends. Tenant-scoped. */
import { conflict, notFound, type PageRequest } from '@flowspark/core';
import { type Database, paginate, paginateNewestFirst, schema } from '@flowspark/db';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { DocumentFormat, DocumentKind, DocumentRow, DocumentStatus, DocumentVersionRow } from './document-types';

const { documents, documentVersions } = schema;

/** The tenant's document of this kind (of any kind: `null`, as a job reads the document it renders). */
export const getDocument = async (
  db: Database,
  orgId: string,
  kind: DocumentKind | null,
  id: string,
): Promise<DocumentRow | null> => {
  const [row] = await db
    .select()
    .from(documents)
    .where(and(eq(documents.id, id), eq(documents.orgId, orgId), kind ? eq(documents.kind, kind) : undefined))
    .limit(1);
  return row ?? null;
};

export interface DocumentListQuery extends PageRequest {
  status?: DocumentStatus;
  format?: DocumentFormat;
}

/** Newest first: one page query and one count, in one round trip. */
export const listDocuments = async (
  db: Database,
  orgId: string,
  kind: DocumentKind,
  query: DocumentListQuery,
): Promise<{ items: DocumentRow[]; total: number }> => {
  const conditions: SQL[] = [eq(documents.orgId, orgId), eq(documents.kind, kind)];
  if (query.status) conditions.push(eq(documents.status, query.status));
  if (query.format) conditions.push(eq(documents.format, query.format));
  return paginateNewestFirst(db, documents, and(...conditions), query);
};

/** Rendered versions, newest first (a version row exists only once its file was stored). */
export const listVersions = async (
  db: Database,
  orgId: string,
  documentId: string,
  query: PageRequest,
): Promise<{ items: DocumentVersionRow[]; total: number }> => {
  const where = and(eq(documentVersions.documentId, documentId), eq(documentVersions.orgId, orgId));
  return paginate(
    db,
    db.select().from(documentVersions).where(where).orderBy(desc(documentVersions.version)),
    { table: documentVersions, where },
    query,
  );
};

export const getVersion = async (
  db: Database,
  orgId: string,
  documentId: string,
  version: number,
): Promise<DocumentVersionRow | null> => {
  const [row] = await db
    .select()
    .from(documentVersions)
    .where(
      and(
        eq(documentVersions.documentId, documentId),
        eq(documentVersions.orgId, orgId),
        eq(documentVersions.version, version),
      ),
    )
    .limit(1);
  return row ?? null;
};

/**
 * The stored file of a version (the current one when `version` is absent). Not rendered yet is 409;
 * a version that does not exist is 404.
 */
export const findDownload = async (
  db: Database,
  doc: DocumentRow,
  version?: number,
): Promise<{ key: string; version: number }> => {
  if (version === undefined || version === doc.currentVersion) {
    if (doc.currentVersion > 0 && doc.fileKey) return { key: doc.fileKey, version: doc.currentVersion };
    if (version === undefined) {
      throw conflict('The document is not ready', { status: doc.status, job_id: doc.jobId });
    }
  }
  const row = await getVersion(db, doc.orgId, doc.id, version!);
  if (!row?.fileKey) throw notFound('Version');
  return { key: row.fileKey, version: row.version };
};

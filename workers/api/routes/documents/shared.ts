import { generationEstimate } from '@flowspark/billing';
import { notFound } from '@flowspark/core';
import type { Database } from '@flowspark/db';
import { CONTENT_TYPES } from '@flowspark/docgen';
import {
  type DocumentKind,
  type DocumentPatch,
  type DocumentRow,
  deleteDocument,
  findDownload,
  type GenerationRequest,
  generationUsesAi,
  getDocument,
  startGeneration,
  updateDocument,
} from '@flowspark/documents';
import { withReservedTokens } from '../../../lib/wallet';
import { type AppContext, routeContext } from '../../lib/context';
import { sendObject } from '../../lib/download';
import { announceCancellation, enqueueOrRecover } from '../../lib/jobs';
import { downloadName } from './present';

// Shared by /documents and /presentations: one table, `kind` tells them apart.

const label = (kind: DocumentKind) => (kind === 'document' ? 'Document' : 'Presentation');

/** The tenant's document of this kind; 404 naming the kind otherwise. */
export const findDocument = async (db: Database, orgId: string, kind: DocumentKind, id: string) => {
  const doc = await getDocument(db, orgId, kind, id);
  if (!doc) throw notFound(label(kind));
  return doc;
};

/**
 * Reserves the generation's tokens (402 INSUFFICIENT_TOKENS before anything is written), writes the
 * document and its job, then enqueues the job; the job settles the reservation when it ends.
 */
export const generate = async (c: AppContext, request: GenerationRequest): Promise<DocumentRow> => {
  const ctx = routeContext(c);
  const { orgId } = ctx.actor;
  const started = generationUsesAi(request)
    ? await withReservedTokens(
        ctx.env,
        { orgId, feature: `${request.kind}.generate` },
        generationEstimate([
          request.prompt,
          request.title,
          request.description,
          JSON.stringify(request.input_data ?? {}),
        ]),
        (reservationId) => startGeneration(ctx.db, ctx.actor, request, reservationId),
      )
    : await startGeneration(ctx.db, ctx.actor, request);
  await enqueueOrRecover(ctx, started.job, 'generation job not enqueued');
  return started.document;
};

/** Applies the change; a new render's job is enqueued (`rendering` true). */
export const update = async (c: AppContext, id: string, patch: DocumentPatch) => {
  const ctx = routeContext(c);
  const { document, job } = await updateDocument(ctx.db, ctx.actor, id, patch);
  if (job) await enqueueOrRecover(ctx, job, 'generation job not enqueued');
  return { document, rendering: job !== null };
};

/** Deletes the document with its versions and files; a job it cancelled is announced like POST /jobs/{id}/cancel. */
export const remove = async (c: AppContext, kind: DocumentKind, id: string) => {
  const ctx = routeContext(c);
  const { cancelled } = await deleteDocument(ctx.db, ctx.env.FILES, ctx.actor.orgId, kind, id);
  if (cancelled) await announceCancellation(ctx, cancelled, 'Cancellation requested');
};

/**
 * Streams a version's file from R2: Content-Type of the format, Content-Disposition with the title,
 * Content-Length and ETag (If-None-Match → 304). A version's file never changes under its key.
 */
export const sendDownload = async (c: AppContext, kind: DocumentKind, id: string, version: number | undefined) => {
  const { db, actor } = routeContext(c);
  const doc = await findDocument(db, actor.orgId, kind, id);
  const found = await findDownload(db, doc, version);
  return sendObject(c, found.key, {
    missing: 'File',
    cacheControl: 'private, no-cache',
    headers: { 'X-Document-Version': String(found.version) },
    describe: () => ({ contentType: CONTENT_TYPES[doc.format], filename: downloadName(doc) }),
  });
};

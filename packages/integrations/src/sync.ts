/**
 * Imports and syncs: what an integration covers (sources), the pages it brought into the knowledge
 * base, and the sync runs that keep them current. A sync lists the covered pages (metadata only),
 * reads and re-indexes just the pages whose last-edited time moved, and removes from the knowledge
 * base the pages that are gone. Each run leaves a log: counts, and every page's error.
 */
import {
  type Actor,
  AppError,
  batches,
  conflict,
  isAppError,
  newId,
  notFound,
  type PageRequest,
  validationError,
} from '@flowspark/core';
import { type Database, isUniqueViolation, paginateNewestFirst, schema } from '@flowspark/db';
import { buildJob, enqueueJob, type JobQueue, type JobRow } from '@flowspark/jobs';
import {
  createKbDocument,
  type KbDocumentRow,
  type KbPorts,
  removeKbDocument,
  replaceKbDocumentContent,
  sha256OfBytes,
} from '@flowspark/kb';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { CONFLUENCE_PAGE_ID, CONFLUENCE_SPACE_KEY } from './confluence';
import type { IntegrationRow } from './integrations';
import { normalizeNotionId } from './notion';
import type { ProviderClient, RemotePage, SourceRef } from './provider';
import { isProviderError } from './provider-http';

const { integrations, integrationSources, integrationPages, integrationSyncs, kbDocuments } = schema;

export type IntegrationSourceRow = typeof integrationSources.$inferSelect;
export type IntegrationPageRow = typeof integrationPages.$inferSelect;
export type IntegrationSyncRow = typeof integrationSyncs.$inferSelect;
export type SyncTrigger = IntegrationSyncRow['trigger'];

export const INTEGRATION_SYNC_JOB_TYPE = 'integration.sync';
export const INTEGRATION_RESOURCE_TYPE = 'integration_sync';
/** Sources one integration may have. */
export const MAX_SOURCES = 50;
/** Pages one sync reads and indexes; changed pages past it wait for the next sync. */
export const MAX_PAGE_UPDATES_PER_SYNC = 200;
/** Per-page errors a sync log keeps (the counts still count them all). */
export const MAX_LOGGED_ERRORS = 100;
const ID_BATCH = 90;

export type SyncCounts = Record<
  'pages_seen' | 'created' | 'updated' | 'unchanged' | 'deleted' | 'failed' | 'deferred' | 'rate_limit_waits',
  number
>;

/** A sync's counts before it ran. */
export const emptySyncCounts = (): SyncCounts => ({
  pages_seen: 0,
  created: 0,
  updated: 0,
  unchanged: 0,
  deleted: 0,
  failed: 0,
  deferred: 0,
  rate_limit_waits: 0,
});

export type SyncError = {
  external_id: string | null;
  title: string | null;
  code: string;
  message: string;
};

/* ------------------------------------------------------------------------------------------------
 * Sources
 * ---------------------------------------------------------------------------------------------- */

export interface ImportSelection {
  pages?: string[];
  spaces?: string[];
}

/** The selection as the provider names things, or a 400 naming each item that cannot be one. */
const selectionRefs = (type: IntegrationRow['type'], selection: ImportSelection) => {
  const fields: Record<string, string[]> = {};
  const refs: { kind: 'page' | 'space'; externalId: string }[] = [];
  (selection.pages ?? []).forEach((value, i) => {
    const id =
      type === 'notion' ? normalizeNotionId(value.trim()) : CONFLUENCE_PAGE_ID.test(value.trim()) ? value.trim() : null;
    if (id) refs.push({ kind: 'page', externalId: id });
    else {
      fields[`pages.${i}`] = [
        type === 'notion' ? 'Not a Notion page id or page URL' : 'Not a Confluence page id (digits)',
      ];
    }
  });
  (selection.spaces ?? []).forEach((value, i) => {
    if (type === 'notion') fields[`spaces.${i}`] = ['Notion has no spaces: select pages (sub-pages come with them)'];
    else if (CONFLUENCE_SPACE_KEY.test(value.trim())) refs.push({ kind: 'space', externalId: value.trim() });
    else fields[`spaces.${i}`] = ['Not a Confluence space key'];
  });
  if (refs.length === 0 && Object.keys(fields).length === 0) fields.pages = ['Select at least one page or space'];
  if (Object.keys(fields).length > 0) throw validationError('The selection is not valid', fields);
  return refs;
};

export const listSources = (db: Database, orgId: string, integrationId: string): Promise<IntegrationSourceRow[]> =>
  db
    .select()
    .from(integrationSources)
    .where(and(eq(integrationSources.orgId, orgId), eq(integrationSources.integrationId, integrationId)))
    .orderBy(integrationSources.createdAt, sql`rowid`);

/** Adds pages or spaces to what the integration covers (ones already there stay as they are). */
export const addSources = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  integration: IntegrationRow,
  selection: ImportSelection,
): Promise<IntegrationSourceRow[]> => {
  const refs = selectionRefs(integration.type, selection);
  const existing = await listSources(db, actor.orgId, integration.id);
  const known = new Set(existing.map((s) => `${s.kind}:${s.externalId}`));
  const fresh = refs.filter(
    (r, i) =>
      !known.has(`${r.kind}:${r.externalId}`) &&
      refs.findIndex((o) => o.kind === r.kind && o.externalId === r.externalId) === i,
  );
  if (existing.length + fresh.length > MAX_SOURCES) {
    throw validationError('Too many sources', {
      pages: [`An integration covers at most ${MAX_SOURCES} pages and spaces; it has ${existing.length}`],
    });
  }
  if (fresh.length > 0) {
    const at = new Date().toISOString();
    await db
      .insert(integrationSources)
      .values(
        fresh.map((r) => ({
          id: newId('its'),
          orgId: actor.orgId,
          integrationId: integration.id,
          kind: r.kind,
          externalId: r.externalId,
          title: null,
          status: 'pending' as const,
          createdBy: actor.userId,
          createdAt: at,
        })),
      )
      .onConflictDoNothing();
  }
  return listSources(db, actor.orgId, integration.id);
};

/** Stops covering a source; the pages only it covered leave the knowledge base at the next sync. */
export const deleteSource = async (db: Database, orgId: string, integrationId: string, sourceId: string) => {
  const rows = await db
    .delete(integrationSources)
    .where(
      and(
        eq(integrationSources.id, sourceId),
        eq(integrationSources.orgId, orgId),
        eq(integrationSources.integrationId, integrationId),
      ),
    )
    .returning({ id: integrationSources.id });
  if (rows.length === 0) throw notFound('Source');
};

/* ------------------------------------------------------------------------------------------------
 * Sync runs
 * ---------------------------------------------------------------------------------------------- */

export const liveSync = async (db: Database, orgId: string, integrationId: string) => {
  const [row] = await db
    .select()
    .from(integrationSyncs)
    .where(
      and(
        eq(integrationSyncs.orgId, orgId),
        eq(integrationSyncs.integrationId, integrationId),
        inArray(integrationSyncs.status, ['queued', 'running']),
      ),
    )
    .limit(1);
  return row ?? null;
};

/**
 * A new sync run and its job, written together; the caller enqueues the job. 409 when the
 * integration covers nothing yet, or while another sync of it is queued or running.
 */
export const startSync = async (
  db: Database,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  integrationId: string,
  trigger: SyncTrigger,
): Promise<{ sync: IntegrationSyncRow; job: JobRow }> => {
  const [source] = await db
    .select({ id: integrationSources.id })
    .from(integrationSources)
    .where(and(eq(integrationSources.orgId, actor.orgId), eq(integrationSources.integrationId, integrationId)))
    .limit(1);
  if (!source) throw conflict('The integration covers no pages or spaces yet: import some first');
  const id = newId('isy');
  const job = buildJob({
    orgId: actor.orgId,
    type: INTEGRATION_SYNC_JOB_TYPE,
    resourceType: INTEGRATION_RESOURCE_TYPE,
    resourceId: id,
    input: { sync_id: id },
    createdBy: actor.userId,
    // The sync is its own retry (the next one picks up where this one stopped).
    maxAttempts: 1,
  });
  const sync: IntegrationSyncRow = {
    id,
    orgId: actor.orgId,
    integrationId,
    trigger,
    status: 'queued',
    jobId: job.id,
    counts: emptySyncCounts(),
    errors: [],
    errorCode: null,
    errorMessage: null,
    createdBy: actor.userId,
    createdAt: job.createdAt,
    startedAt: null,
    endedAt: null,
  };
  try {
    await db.batch([db.insert(integrationSyncs).values(sync), db.insert(schema.jobs).values(job)]);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const live = await liveSync(db, actor.orgId, integrationId);
    throw conflict('A sync of this integration is already queued or running', live ? { sync_id: live.id } : undefined);
  }
  return { sync, job };
};

export const getSync = async (db: Database, orgId: string, integrationId: string, id: string) => {
  const [row] = await db
    .select()
    .from(integrationSyncs)
    .where(
      and(
        eq(integrationSyncs.id, id),
        eq(integrationSyncs.orgId, orgId),
        eq(integrationSyncs.integrationId, integrationId),
      ),
    )
    .limit(1);
  if (!row) throw notFound('Sync');
  return row;
};

export const listSyncs = (db: Database, orgId: string, integrationId: string, page: PageRequest) =>
  paginateNewestFirst(
    db,
    integrationSyncs,
    and(eq(integrationSyncs.orgId, orgId), eq(integrationSyncs.integrationId, integrationId)),
    page,
  );

export const listPages = (db: Database, orgId: string, integrationId: string, page: PageRequest) =>
  paginateNewestFirst(
    db,
    integrationPages,
    and(eq(integrationPages.orgId, orgId), eq(integrationPages.integrationId, integrationId)),
    page,
  );

type SyncEnd = Extract<IntegrationSyncRow['status'], 'completed' | 'completed_with_errors' | 'failed' | 'cancelled'>;

/** Ends a live sync (never one already ended) and stamps the integration with it. */
const endSync = async (
  db: Database,
  sync: Pick<IntegrationSyncRow, 'id' | 'orgId' | 'integrationId'>,
  status: SyncEnd,
  fields: Partial<Pick<IntegrationSyncRow, 'counts' | 'errors' | 'errorCode' | 'errorMessage'>>,
) => {
  const at = new Date().toISOString();
  const [ended] = await db.batch([
    db
      .update(integrationSyncs)
      .set({ ...fields, status, endedAt: at })
      .where(
        and(
          eq(integrationSyncs.id, sync.id),
          eq(integrationSyncs.orgId, sync.orgId),
          inArray(integrationSyncs.status, ['queued', 'running']),
        ),
      )
      .returning(),
    db
      .update(integrations)
      .set({ lastSyncedAt: at, lastSyncStatus: status })
      .where(and(eq(integrations.id, sync.integrationId), eq(integrations.orgId, sync.orgId))),
  ]);
  return ended[0] ?? null;
};

/** The sync's job failed or was cancelled before the sync ended: the sync says so (idempotent). */
export const failSyncOfJob = async (
  db: Database,
  job: Pick<JobRow, 'orgId' | 'resourceId' | 'status' | 'errorCode' | 'errorMessage'>,
) => {
  if (!job.resourceId) return;
  const [sync] = await db
    .select()
    .from(integrationSyncs)
    .where(and(eq(integrationSyncs.id, job.resourceId), eq(integrationSyncs.orgId, job.orgId)))
    .limit(1);
  if (!sync) return;
  await endSync(db, sync, job.status === 'cancelled' ? 'cancelled' : 'failed', {
    errorCode: job.status === 'cancelled' ? 'CANCELLED' : (job.errorCode ?? 'SYNC_FAILED'),
    errorMessage: job.status === 'cancelled' ? 'The sync was cancelled' : (job.errorMessage ?? 'The sync failed'),
  });
};

/**
 * Integrations the cron should sync now: they cover something, their last sync ended at least
 * `intervalMinutes` ago (or never ran), and none is live. A bounded batch, oldest first.
 */
export const dueIntegrations = async (db: Database, now: Date, intervalMinutes: number, limit = 20) => {
  const before = new Date(now.getTime() - intervalMinutes * 60_000).toISOString();
  return db
    .select({ id: integrations.id, orgId: integrations.orgId, createdBy: integrations.createdBy })
    .from(integrations)
    .where(
      and(
        or(isNull(integrations.lastSyncedAt), lt(integrations.lastSyncedAt, before)),
        sql`EXISTS (SELECT 1 FROM integration_sources s WHERE s.integration_id = ${integrations.id})`,
        sql`NOT EXISTS (SELECT 1 FROM integration_syncs y WHERE y.integration_id = ${integrations.id} AND y.status IN ('queued', 'running'))`,
      ),
    )
    .orderBy(sql`${integrations.lastSyncedAt} IS NOT NULL`, integrations.lastSyncedAt)
    .limit(limit);
};

/* ------------------------------------------------------------------------------------------------
 * Running a sync
 * ---------------------------------------------------------------------------------------------- */

export interface SyncPorts {
  kb: KbPorts;
  /** Where the knowledge base's indexing jobs go. */
  queue: JobQueue;
  /** Throws to refuse a new document (the plan's quota). */
  admit(bytes: number): Promise<void>;
  /** The largest document the knowledge base takes. */
  maxBytes: number;
  /** Reports progress; throws when the job was cancelled. */
  progress(percent: number, message: string): Promise<void>;
}

/** A page as its knowledge-base document: the title on top, then where it comes from, then its content. */
export const pageDocument = (page: RemotePage, markdown: string): Uint8Array =>
  new TextEncoder().encode(
    `# ${page.title.replace(/\s+/g, ' ').trim()}\n\n${page.url ? `Source: ${page.url}\n\n` : ''}${markdown.trim()}\n`,
  );

const describe = (err: unknown): { code: string; message: string } => {
  if (isProviderError(err)) return { code: err.code, message: err.message };
  if (isAppError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string') {
    return { code: (err as unknown as { code: string }).code, message: err.message };
  }
  return { code: 'SYNC_PAGE_FAILED', message: 'The page could not be imported' };
};

const stopsSync = (err: unknown) =>
  isProviderError(err) && (err.code === 'PROVIDER_UNAUTHORIZED' || err.code === 'PROVIDER_RATE_LIMITED');

/** Which of these knowledge-base documents still exist, by id (a user may have deleted one). */
const existingDocuments = async (db: Database, orgId: string, ids: string[]) => {
  const found = new Map<string, Pick<KbDocumentRow, 'id' | 'orgId' | 'botId' | 'status'>>();
  for (const batch of batches(ids, ID_BATCH)) {
    const rows = await db
      .select({ id: kbDocuments.id, orgId: kbDocuments.orgId, botId: kbDocuments.botId, status: kbDocuments.status })
      .from(kbDocuments)
      .where(and(eq(kbDocuments.orgId, orgId), inArray(kbDocuments.id, batch)));
    for (const row of rows) found.set(row.id, row);
  }
  return found;
};

export interface SyncWork {
  sync: IntegrationSyncRow;
  integration: IntegrationRow;
  sources: IntegrationSourceRow[];
}

/** The sync with what it works on; null when it, or its integration, is gone or no longer queued. */
export const loadSyncWork = async (db: Database, orgId: string, syncId: string): Promise<SyncWork | null> => {
  const [sync] = await db
    .select()
    .from(integrationSyncs)
    .where(and(eq(integrationSyncs.id, syncId), eq(integrationSyncs.orgId, orgId)))
    .limit(1);
  if (!sync) return null;
  const [integration] = await db
    .select()
    .from(integrations)
    .where(and(eq(integrations.id, sync.integrationId), eq(integrations.orgId, orgId)))
    .limit(1);
  if (!integration) return null;
  return { sync, integration, sources: await listSources(db, orgId, integration.id) };
};

/**
 * Runs one sync to its end and returns it as it ended. The listing decides everything: a page it does
 * not return is deleted only when the listing is complete (not cut at the cap, every source answered),
 * so a provider failure never empties the knowledge base.
 */
export const runSync = async (
  ports: SyncPorts,
  client: ProviderClient,
  work: SyncWork,
  counts: SyncCounts = emptySyncCounts(),
): Promise<IntegrationSyncRow> => {
  const { db } = ports.kb;
  const { sync, integration, sources } = work;
  const orgId = sync.orgId;
  // The documents are the requester's (the integration's creator for the cron); null once that user is gone.
  const actor = { orgId, userId: (sync.createdBy ?? integration.createdBy) as string };
  const errors: SyncError[] = [];
  const logError = (page: { externalId: string; title: string } | null, err: { code: string; message: string }) => {
    if (errors.length < MAX_LOGGED_ERRORS) {
      errors.push({ external_id: page?.externalId ?? null, title: page?.title ?? null, ...err });
    }
  };

  const [running] = await db
    .update(integrationSyncs)
    .set({ status: 'running', startedAt: new Date().toISOString() })
    .where(
      and(eq(integrationSyncs.id, sync.id), eq(integrationSyncs.orgId, orgId), eq(integrationSyncs.status, 'queued')),
    )
    .returning();
  if (!running) return sync;

  const refs: SourceRef[] = sources.map((s) => ({ id: s.id, kind: s.kind, externalId: s.externalId }));
  let listing: Awaited<ReturnType<ProviderClient['list']>>;
  try {
    listing = await client.list(refs);
  } catch (err) {
    const { code, message } = describe(err);
    return (await endSync(db, sync, 'failed', { counts, errors, errorCode: code, errorMessage: message })) ?? sync;
  }
  await ports.progress(10, `Listed ${listing.pages.length} pages`);

  // The sources as found (titles), or not found (logged: the selection names something gone).
  const answered = new Set(listing.sources.map((s) => s.sourceId));
  if (listing.sources.length > 0) {
    await db.batch(
      listing.sources.map((s) =>
        db
          .update(integrationSources)
          .set({ status: s.found ? 'found' : 'not_found', ...(s.title ? { title: s.title } : {}) })
          .where(and(eq(integrationSources.id, s.sourceId), eq(integrationSources.orgId, orgId))),
      ) as [never, ...never[]],
    );
  }
  for (const s of listing.sources) {
    if (!s.found) {
      const source = sources.find((x) => x.id === s.sourceId)!;
      logError(
        { externalId: source.externalId, title: source.title ?? source.externalId },
        { code: 'SOURCE_NOT_FOUND', message: `The ${source.kind} is gone, or not shared with the token` },
      );
    }
  }
  const complete = !listing.truncated && sources.every((s) => answered.has(s.id));
  if (listing.truncated) {
    logError(null, {
      code: 'LISTING_TRUNCATED',
      message: 'More pages than one sync lists: the rest wait, and no page was removed as missing',
    });
  }

  const known = await db
    .select()
    .from(integrationPages)
    .where(and(eq(integrationPages.orgId, orgId), eq(integrationPages.integrationId, integration.id)));
  const knownById = new Map(known.map((p) => [p.externalId, p]));
  const documents = await existingDocuments(
    db,
    orgId,
    known.map((p) => p.kbDocumentId).filter((id): id is string => id !== null),
  );
  counts.pages_seen = listing.pages.length;

  // What changed: new pages, pages edited since they were indexed (or that failed last time), and
  // pages whose document was deleted from the knowledge base meanwhile.
  const changed: { page: RemotePage; row: IntegrationPageRow | undefined }[] = [];
  for (const page of listing.pages) {
    const row = knownById.get(page.externalId);
    const hasDocument = row?.kbDocumentId ? documents.has(row.kbDocumentId) : false;
    if (!row || !hasDocument || row.status === 'error' || row.lastEditedAt !== page.lastEditedAt) {
      changed.push({ page, row });
    } else counts.unchanged += 1;
  }
  const listed = new Set(listing.pages.map((p) => p.externalId));
  const removed = complete ? known.filter((p) => !listed.has(p.externalId)) : [];
  const total = Math.min(changed.length, MAX_PAGE_UPDATES_PER_SYNC) + removed.length;
  let done = 0;
  const step = async (message: string) => {
    done += 1;
    await ports.progress(10 + (85 * done) / Math.max(1, total), message);
  };

  let stopped: { code: string; message: string } | null = null;
  for (const [i, { page, row }] of changed.entries()) {
    if (stopped || i >= MAX_PAGE_UPDATES_PER_SYNC) {
      counts.deferred += 1;
      continue;
    }
    try {
      const outcome = await importPage(ports, client, actor, integration, page, row, documents);
      counts[outcome] += 1;
    } catch (err) {
      if (stopsSync(err)) {
        stopped = describe(err);
        counts.deferred += 1;
        continue;
      }
      counts.failed += 1;
      const reason = describe(err);
      logError(page, reason);
      await recordPageError(db, orgId, integration.id, page, row, reason);
    }
    await step(`Imported ${done + 1} of ${total}`);
  }

  if (!stopped) {
    for (const row of removed) {
      const document = row.kbDocumentId ? documents.get(row.kbDocumentId) : undefined;
      if (document && (document.status === 'uploading' || document.status === 'processing')) {
        // Still being indexed: removed by a later sync, once its job ended.
        counts.deferred += 1;
        continue;
      }
      if (document) await removeKbDocument(ports.kb, document);
      await db.delete(integrationPages).where(and(eq(integrationPages.id, row.id), eq(integrationPages.orgId, orgId)));
      counts.deleted += 1;
      await step(`Removed ${row.title}`);
    }
  }

  const status: SyncEnd = stopped
    ? 'failed'
    : counts.failed + counts.deferred > 0 || errors.length > 0
      ? 'completed_with_errors'
      : 'completed';
  return (
    (await endSync(db, sync, status, {
      counts,
      errors,
      errorCode: stopped?.code ?? null,
      errorMessage: stopped?.message ?? null,
    })) ?? sync
  );
};

/** Reads one page and brings its document up to date: created, updated, or unchanged. */
const importPage = async (
  ports: SyncPorts,
  client: ProviderClient,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  integration: IntegrationRow,
  page: RemotePage,
  row: IntegrationPageRow | undefined,
  documents: Map<string, Pick<KbDocumentRow, 'id' | 'status'>>,
): Promise<'created' | 'updated' | 'unchanged'> => {
  const { db, files } = ports.kb;
  const bytes = pageDocument(page, await client.markdown(page));
  if (bytes.byteLength > ports.maxBytes) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `The page is ${bytes.byteLength.toLocaleString('en-US')} bytes as Markdown; the knowledge base takes at most ${ports.maxBytes.toLocaleString('en-US')}`,
    );
  }
  const sha = await sha256OfBytes(bytes);
  const existing = row?.kbDocumentId ? documents.get(row.kbDocumentId) : undefined;
  const at = new Date().toISOString();
  let documentId: string;
  let outcome: 'created' | 'updated' | 'unchanged';
  if (existing && row?.contentSha256 === sha) {
    // Edited without a change to its text (a property, a comment): nothing to re-index.
    documentId = existing.id;
    outcome = 'unchanged';
  } else if (existing) {
    const replaced = await replaceKbDocumentContent(db, files, actor, existing.id, {
      title: page.title.slice(0, 255),
      type: 'markdown',
      bytes,
    }).catch((err) => {
      if (isAppError(err) && err.code === 'CONFLICT') {
        throw new AppError('CONFLICT', 'The page’s document is still being indexed; the next sync updates it');
      }
      throw err;
    });
    await enqueueJob(ports.queue, replaced.job).catch(() => undefined);
    documentId = existing.id;
    outcome = 'updated';
  } else {
    const created = await createKbDocument(
      db,
      files,
      actor,
      {
        title: page.title.slice(0, 255),
        source_type: 'integration',
        filename: null,
        type: 'markdown',
        bytes,
        tags: [integration.type],
        category: null,
      },
      ports.admit,
    );
    if (created.duplicate) {
      throw new AppError(
        'CONFLICT',
        `The knowledge base already holds this content as document ${created.document.id}`,
      );
    }
    // A message that is not sent is sent again by stuck-job recovery: the job row is what counts.
    await enqueueJob(ports.queue, created.job).catch(() => undefined);
    documentId = created.document.id;
    // Indexed before (its document was deleted meanwhile): updated; never indexed (new, or failed so far): created.
    outcome = row?.kbDocumentId ? 'updated' : 'created';
  }
  const values = {
    title: page.title,
    url: page.url,
    lastEditedAt: page.lastEditedAt,
    contentSha256: sha,
    kbDocumentId: documentId,
    status: 'synced' as const,
    errorCode: null,
    errorMessage: null,
    syncedAt: at,
    updatedAt: at,
  };
  await db
    .insert(integrationPages)
    .values({
      id: newId('itp'),
      orgId: actor.orgId,
      integrationId: integration.id,
      externalId: page.externalId,
      createdAt: at,
      ...values,
    })
    .onConflictDoUpdate({ target: [integrationPages.integrationId, integrationPages.externalId], set: values });
  return outcome;
};

/** The page failed: its row says why and keeps its document (and last-edited time) as they were. */
const recordPageError = async (
  db: Database,
  orgId: string,
  integrationId: string,
  page: RemotePage,
  row: IntegrationPageRow | undefined,
  reason: { code: string; message: string },
) => {
  const at = new Date().toISOString();
  const fields = { status: 'error' as const, errorCode: reason.code, errorMessage: reason.message, updatedAt: at };
  if (row) {
    await db
      .update(integrationPages)
      .set({ ...fields, title: page.title, url: page.url })
      .where(and(eq(integrationPages.id, row.id), eq(integrationPages.orgId, orgId)));
    return;
  }
  await db.insert(integrationPages).values({
    id: newId('itp'),
    orgId,
    integrationId,
    externalId: page.externalId,
    title: page.title,
    url: page.url,
    lastEditedAt: null,
    contentSha256: null,
    kbDocumentId: null,
    syncedAt: null,
    createdAt: at,
    ...fields,
  });
};

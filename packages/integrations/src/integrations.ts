/**
 * Integrations (seed 002 Integration): Notion workspaces and Confluence Cloud sites a team imports
 * knowledge-base documents from. The API token is sealed (credentials.ts) and never returned; every
 * query is scoped to the tenant.
 */
import { type Actor, newId, notFound, type PageRequest, validationError } from '@flowspark/core';
import { type Database, paginateNewestFirst, schema } from '@flowspark/db';
import { and, eq, ne } from 'drizzle-orm';
import { type EncryptionKeys, keyFingerprint, openToken, sealToken } from './credentials';

const { integrations } = schema;

export type IntegrationRow = typeof integrations.$inferSelect;
export const INTEGRATION_TYPES = ['notion', 'confluence'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export interface IntegrationInput {
  type: IntegrationType;
  name: string;
  credentials: { token: string; base_url?: string; email?: string };
}

export interface IntegrationPatch {
  name?: string;
  credentials?: { token: string; base_url?: string; email?: string };
}

/** A Confluence Cloud site: `https://<site>.atlassian.net`, with or without `/wiki`. */
const CONFLUENCE_SITE = /^https:\/\/[a-z0-9][a-z0-9-]{0,62}\.atlassian\.net(\/wiki)?\/?$/i;

const checkCredentials = (type: IntegrationType, credentials: IntegrationInput['credentials']) => {
  const fields: Record<string, string[]> = {};
  if (type === 'confluence') {
    if (!credentials.base_url)
      fields['credentials.base_url'] = ['Required for Confluence: https://<site>.atlassian.net/wiki'];
    else if (!CONFLUENCE_SITE.test(credentials.base_url)) {
      fields['credentials.base_url'] = ['Must be a Confluence Cloud site: https://<site>.atlassian.net/wiki'];
    }
    if (!credentials.email)
      fields['credentials.email'] = ['Required for Confluence: the account the API token belongs to'];
  } else {
    if (credentials.base_url) fields['credentials.base_url'] = ['Notion has no base_url'];
    if (credentials.email) fields['credentials.email'] = ['Notion has no email'];
  }
  if (Object.keys(fields).length > 0) throw validationError('The credentials do not fit the integration type', fields);
};

/** `https://acme.atlassian.net/wiki`, however it was given. */
const confluenceBase = (url: string) => `${url.replace(/\/+$/, '').replace(/\/wiki$/i, '')}/wiki`;

export const createIntegration = async (
  db: Database,
  keys: EncryptionKeys,
  actor: Pick<Actor, 'orgId' | 'userId'>,
  input: IntegrationInput,
): Promise<IntegrationRow> => {
  checkCredentials(input.type, input.credentials);
  const at = new Date().toISOString();
  const row: IntegrationRow = {
    id: newId('itg'),
    orgId: actor.orgId,
    type: input.type,
    name: input.name,
    baseUrl: input.type === 'confluence' ? confluenceBase(input.credentials.base_url!) : null,
    email: input.credentials.email ?? null,
    ...(await sealToken(keys, input.credentials.token)),
    lastSyncedAt: null,
    lastSyncStatus: null,
    createdBy: actor.userId,
    createdAt: at,
    updatedAt: at,
  };
  await db.insert(integrations).values(row);
  return row;
};

export const getIntegration = async (db: Database, orgId: string, id: string): Promise<IntegrationRow | null> => {
  const rows = await db
    .select()
    .from(integrations)
    .where(and(eq(integrations.id, id), eq(integrations.orgId, orgId)))
    .limit(1);
  return rows[0] ?? null;
};

export const requireIntegration = async (db: Database, orgId: string, id: string) => {
  const row = await getIntegration(db, orgId, id);
  if (!row) throw notFound('Integration');
  return row;
};

export const listIntegrations = (db: Database, orgId: string, page: PageRequest) =>
  paginateNewestFirst(db, integrations, eq(integrations.orgId, orgId), page);

/** Renames, or replaces the credentials (a new token is sealed under the current key). */
export const updateIntegration = async (
  db: Database,
  keys: EncryptionKeys,
  orgId: string,
  id: string,
  patch: IntegrationPatch,
): Promise<IntegrationRow> => {
  const current = await requireIntegration(db, orgId, id);
  let credentials: Partial<IntegrationRow> = {};
  if (patch.credentials) {
    checkCredentials(current.type, patch.credentials);
    credentials = {
      ...(await sealToken(keys, patch.credentials.token)),
      baseUrl: current.type === 'confluence' ? confluenceBase(patch.credentials.base_url!) : null,
      email: patch.credentials.email ?? null,
    };
  }
  const [row] = await db
    .update(integrations)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...credentials,
      updatedAt: new Date().toISOString(),
    })
    .where(and(eq(integrations.id, id), eq(integrations.orgId, orgId)))
    .returning();
  if (!row) throw notFound('Integration');
  return row;
};

export const deleteIntegration = async (db: Database, orgId: string, id: string): Promise<void> => {
  const rows = await db
    .delete(integrations)
    .where(and(eq(integrations.id, id), eq(integrations.orgId, orgId)))
    .returning({ id: integrations.id });
  if (rows.length === 0) throw notFound('Integration');
};

/** The integration's API token, for the requests made with it (never for a response). */
export const integrationToken = (keys: EncryptionKeys, row: IntegrationRow) => openToken(keys, row);

/**
 * Re-encrypts, under the current key, the tokens still sealed under another (after ENCRYPTION_KEY was
 * rotated and the old key kept in ENCRYPTION_KEY_PREVIOUS), a bounded batch across tenants. A token
 * that opens with neither key is left as it is and counted. Once it returns 0 re-encrypted and 0
 * unreadable, the previous key can be removed.
 */
export const rotateIntegrationTokens = async (
  db: Database,
  keys: EncryptionKeys,
  limit = 100,
): Promise<{ reencrypted: number; unreadable: number }> => {
  const current = await keyFingerprint(keys.current);
  const stale = await db.select().from(integrations).where(ne(integrations.keyFingerprint, current)).limit(limit);
  let reencrypted = 0;
  let unreadable = 0;
  for (const row of stale) {
    let token: string;
    try {
      token = await openToken(keys, row);
    } catch {
      unreadable += 1;
      continue;
    }
    const sealed = await sealToken(keys, token);
    const [updated] = await db
      .update(integrations)
      .set({ tokenEncrypted: sealed.tokenEncrypted, keyFingerprint: sealed.keyFingerprint })
      .where(and(eq(integrations.id, row.id), eq(integrations.keyFingerprint, row.keyFingerprint)))
      .returning({ id: integrations.id });
    if (updated) reencrypted += 1;
  }
  return { reencrypted, unreadable };
};

import { sql } from 'drizzle-orm';
import {
  type AnySQLiteColumn,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

/** Times are ISO-8601 UTC strings: they sort as text and go to the API unchanged. */
const createdAt = () => text('created_at').notNull();
const updatedAt = () => text('updated_at').notNull();

export const organizations = sqliteTable('organizations', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  plan: text('plan', { enum: ['free', 'pro', 'enterprise'] })
    .notNull()
    .default('free'),
  /** Members sign in to this organization only through single sign-on (password login is refused). */
  ssoRequired: integer('sso_required', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  /** Stored lower-cased: one account per address across all organizations. */
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  passwordHash: text('password_hash').notNull(),
  isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
  mfaEnabled: integer('mfa_enabled', { mode: 'boolean' }).notNull().default(false),
  /** The organization a login lands in. */
  defaultOrgId: text('default_org_id'),
  lastLoginAt: text('last_login_at'),
  passwordChangedAt: text('password_changed_at'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const memberships = sqliteTable(
  'memberships',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('memberships_org_user').on(t.orgId, t.userId), index('memberships_user').on(t.userId)],
);

export const invitations = sqliteTable(
  'invitations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    role: text('role', { enum: ['owner', 'admin', 'member', 'viewer'] }).notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    invitedBy: text('invited_by').notNull(),
    expiresAt: text('expires_at').notNull(),
    acceptedAt: text('accepted_at'),
    revokedAt: text('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [index('invitations_org').on(t.orgId, t.createdAt)],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    orgId: text('org_id').notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: createdAt(),
    lastUsedAt: text('last_used_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    revokedAt: text('revoked_at'),
    revokeReason: text('revoke_reason'),
  },
  (t) => [index('sessions_user').on(t.userId, t.createdAt)],
);

/** Opaque refresh tokens, hashed; one row per issued token so a reused one is recognised. */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: createdAt(),
    expiresAt: text('expires_at').notNull(),
    usedAt: text('used_at'),
    /**
     * The token issued when this one was spent, encrypted, so that a second refresh within the grace
     * window (two tabs at once) gets the same successor instead of being taken for theft.
     */
    successorEncrypted: text('successor_encrypted'),
  },
  (t) => [index('refresh_tokens_session').on(t.sessionId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    displayPrefix: text('display_prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    /** JSON array of scopes. */
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    rateLimitPerMinute: integer('rate_limit_per_minute'),
    lastUsedAt: text('last_used_at'),
    expiresAt: text('expires_at'),
    revokedAt: text('revoked_at'),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_org').on(t.orgId, t.createdAt)],
);

export const loginAttempts = sqliteTable(
  'login_attempts',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    ip: text('ip').notNull(),
    success: integer('success', { mode: 'boolean' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('login_attempts_email').on(t.email, t.createdAt),
    index('login_attempts_ip').on(t.ip, t.createdAt),
    index('login_attempts_email_ip').on(t.email, t.ip, t.createdAt),
  ],
);

/**
 * Devices that completed a sign-in (every factor): the client keeps an opaque token (`fsd_…`, hashed
 * here) and presents it at login, so throttling aimed at the account never locks its owner out.
 */
export const knownDevices = sqliteTable(
  'known_devices',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastUsedAt: text('last_used_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    /** Wrong passwords or codes in a row from this device; past the limit the device is forgotten. */
    failedAttempts: integer('failed_attempts').notNull().default(0),
  },
  (t) => [index('known_devices_user').on(t.userId)],
);

/**
 * A requested change of a user's email: it takes effect only when the new address confirms
 * (`confirm_token_hash`); the old address gets a link that undoes it (`undo_token_hash`), before or
 * after it took effect, until `undo_expires_at`.
 */
export const emailChanges = sqliteTable(
  'email_changes',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    oldEmail: text('old_email').notNull(),
    newEmail: text('new_email').notNull(),
    confirmTokenHash: text('confirm_token_hash').notNull().unique(),
    undoTokenHash: text('undo_token_hash').notNull().unique(),
    /** The session that asked; it survives the change, every other session is revoked. */
    sessionId: text('session_id'),
    createdAt: createdAt(),
    expiresAt: text('expires_at').notNull(),
    undoExpiresAt: text('undo_expires_at').notNull(),
    confirmedAt: text('confirmed_at'),
    cancelledAt: text('cancelled_at'),
  },
  (t) => [index('email_changes_user').on(t.userId, t.createdAt)],
);

export const passwordResetTokens = sqliteTable('password_reset_tokens', {
  id: text('id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
  createdAt: createdAt(),
});

/** TOTP devices; the secret is encrypted at rest because it must be read back to check codes. */
export const mfaDevices = sqliteTable('mfa_devices', {
  id: text('id').primaryKey(),
  userId: text('user_id')
    .notNull()
    .unique()
    .references(() => users.id, { onDelete: 'cascade' }),
  secretEncrypted: text('secret_encrypted').notNull(),
  confirmedAt: text('confirmed_at'),
  lastUsedStep: integer('last_used_step'),
  createdAt: createdAt(),
});

export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: text('used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('recovery_codes_user').on(t.userId)],
);

/** Stored responses for Idempotency-Key replays, scoped by tenant and actor. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    orgId: text('org_id').notNull(),
    actorId: text('actor_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    /** `pending` while the first request runs, then `done`. */
    status: text('status', { enum: ['pending', 'done'] }).notNull(),
    responseStatus: integer('response_status'),
    /** Encrypted: responses can carry secrets shown once (a new API key). */
    responseBody: text('response_body'),
    createdAt: createdAt(),
    expiresAt: text('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.actorId, t.key] }), index('idempotency_expires').on(t.expiresAt)],
);

/** Local mail: what the outbox mailer "sent", readable through a dev-only route. */
export const devOutbox = sqliteTable(
  'dev_outbox',
  {
    id: text('id').primaryKey(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('dev_outbox_recipient').on(t.recipient, t.createdAt)],
);

/** A long task: one row per job, one queue message with its id. */
export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    status: text('status', { enum: ['queued', 'running', 'done', 'error', 'cancelled'] })
      .notNull()
      .default('queued'),
    progress: integer('progress').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    resourceType: text('resource_type'),
    resourceId: text('resource_id'),
    /** Small parameters only; payloads stay in their own rows or in R2. */
    input: text('input', { mode: 'json' }).$type<Record<string, unknown>>(),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    cancelRequested: integer('cancel_requested', { mode: 'boolean' }).notNull().default(false),
    createdBy: text('created_by'),
    /** While running: when the current attempt is considered stuck. */
    leaseUntil: text('lease_until'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
  },
  (t) => [index('jobs_org_created').on(t.orgId, t.createdAt), index('jobs_status_lease').on(t.status, t.leaseUntil)],
);

export const templates = sqliteTable(
  'templates',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    format: text('format', { enum: ['docx', 'pdf', 'xlsx', 'pptx'] }).notNull(),
    /** `model`: a document model with {{variables}}; `docx_file` / `pdf_form`: an uploaded file to fill. */
    kind: text('kind', { enum: ['model', 'docx_file', 'pdf_form'] })
      .notNull()
      .default('model'),
    variables: text('variables', { mode: 'json' }).$type<unknown[]>().notNull(),
    body: text('body', { mode: 'json' }).$type<Record<string, unknown>>(),
    promptTemplate: text('prompt_template'),
    fileKey: text('file_key'),
    fileSizeBytes: integer('file_size_bytes'),
    isPublic: integer('is_public', { mode: 'boolean' }).notNull().default(false),
    usageCount: integer('usage_count').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('templates_org').on(t.orgId, t.createdAt), index('templates_public').on(t.isPublic)],
);

/** Generated documents and presentations (kind), their current version and file. */
export const documents = sqliteTable(
  'documents',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['document', 'presentation'] }).notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    format: text('format', { enum: ['docx', 'pdf', 'xlsx', 'pptx'] }).notNull(),
    status: text('status', { enum: ['pending', 'processing', 'completed', 'failed'] })
      .notNull()
      .default('pending'),
    templateId: text('template_id'),
    prompt: text('prompt'),
    inputData: text('input_data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    options: text('options', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** The version the file and content below belong to; 0 until the first render finishes. */
    currentVersion: integer('current_version').notNull().default(0),
    fileKey: text('file_key'),
    fileSizeBytes: integer('file_size_bytes').notNull().default(0),
    contentType: text('content_type'),
    tokensUsed: integer('tokens_used').notNull().default(0),
    modelUsed: text('model_used'),
    generationTimeMs: integer('generation_time_ms'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    jobId: text('job_id'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('documents_org_kind').on(t.orgId, t.kind, t.createdAt),
    index('documents_org_status').on(t.orgId, t.status),
  ],
);

export const documentVersions = sqliteTable(
  'document_versions',
  {
    id: text('id').primaryKey(),
    documentId: text('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    orgId: text('org_id').notNull(),
    version: integer('version').notNull(),
    /** The document model that was rendered. */
    content: text('content', { mode: 'json' }).$type<Record<string, unknown>>(),
    inputData: text('input_data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    prompt: text('prompt'),
    fileKey: text('file_key'),
    fileSizeBytes: integer('file_size_bytes').notNull().default(0),
    tokensUsed: integer('tokens_used').notNull().default(0),
    modelUsed: text('model_used'),
    generationTimeMs: integer('generation_time_ms'),
    jobId: text('job_id'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('document_versions_doc_version').on(t.documentId, t.version)],
);

export const images = sqliteTable(
  'images',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    prompt: text('prompt').notNull(),
    negativePrompt: text('negative_prompt'),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    status: text('status', { enum: ['pending', 'processing', 'completed', 'failed'] })
      .notNull()
      .default('pending'),
    fileKey: text('file_key'),
    fileSizeBytes: integer('file_size_bytes').notNull().default(0),
    contentType: text('content_type'),
    modelUsed: text('model_used'),
    generationTimeMs: integer('generation_time_ms'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    jobId: text('job_id'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('images_org').on(t.orgId, t.createdAt)],
);

/**
 * Knowledge-base documents: the original lives in R2, its text as chunks below. A document with a
 * `bot_id` is one of that bot's training documents, outside the organization's knowledge base.
 */
export const kbDocuments = sqliteTable(
  'kb_documents',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    botId: text('bot_id').references((): AnySQLiteColumn => bots.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    sourceType: text('source_type', { enum: ['upload', 'text', 'integration'] }).notNull(),
    filename: text('filename'),
    /** What the content turned out to be (magic bytes and structure), not what its name says. */
    detectedType: text('detected_type', { enum: ['pdf', 'docx', 'html', 'markdown', 'text', 'csv'] }).notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    fileKey: text('file_key').notNull(),
    status: text('status', { enum: ['uploading', 'processing', 'indexed', 'failed'] })
      .notNull()
      .default('uploading'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    category: text('category'),
    pageCount: integer('page_count'),
    chunkCount: integer('chunk_count').notNull().default(0),
    charCount: integer('char_count').notNull().default(0),
    embeddingModel: text('embedding_model'),
    /** Chunking parameters used for the current index (size, overlap). */
    chunking: text('chunking', { mode: 'json' }).$type<Record<string, unknown>>(),
    jobId: text('job_id'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    indexedAt: text('indexed_at'),
  },
  (t) => [
    // The same content once per scope (the knowledge base, each bot): NULL bot ids compare equal here.
    uniqueIndex('kb_documents_scope_sha').on(t.orgId, sql`coalesce(bot_id, '')`, t.sha256),
    index('kb_documents_scope_created').on(t.orgId, t.botId, t.createdAt),
  ],
);

export const kbChunks = sqliteTable(
  'kb_chunks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    documentId: text('document_id')
      .notNull()
      .references(() => kbDocuments.id, { onDelete: 'cascade' }),
    chunkIndex: integer('chunk_index').notNull(),
    text: text('text').notNull(),
    heading: text('heading'),
    pageNumber: integer('page_number'),
    startOffset: integer('start_offset').notNull(),
    endOffset: integer('end_offset').notNull(),
    tokenCount: integer('token_count').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('kb_chunks_doc').on(t.documentId, t.chunkIndex), index('kb_chunks_org').on(t.orgId)],
);

/** Every question asked of the knowledge base, with its answer and citations (seed 000 KBQuery). */
export const kbQueries = sqliteTable(
  'kb_queries',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id'),
    query: text('query').notNull(),
    topK: integer('top_k').notNull(),
    filters: text('filters', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    answer: text('answer').notNull(),
    citations: text('citations', { mode: 'json' }).$type<unknown[]>().notNull(),
    usage: text('usage', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    modelUsed: text('model_used'),
    retrievalMs: integer('retrieval_ms').notNull(),
    generationMs: integer('generation_ms').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('kb_queries_org_created').on(t.orgId, t.createdAt)],
);

/**
 * The token wallet's ledger (append-only): every change of an organization's balance, in order
 * (`seq`). Grants (the monthly allowance), purchases (paid invoices) and refunds add, debits (the
 * actual usage of an AI operation) subtract; `balance_after` is the balance once applied, so the last
 * row is the balance and the rows sum to it. Written by the organization's TokenWallet object only.
 */
export const tokenLedger = sqliteTable(
  'token_ledger',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    kind: text('kind', { enum: ['grant', 'purchase', 'debit', 'refund'] }).notNull(),
    /** Tokens: positive for grants, purchases and refunds, negative (or 0) for debits. */
    amount: integer('amount').notNull(),
    balanceAfter: integer('balance_after').notNull(),
    /** The billable feature of a debit (`kb.answer`, `chat.reply`, `document.generate`, …). */
    feature: text('feature'),
    /** What the entry is for: a reservation, a job, an invoice, a period (`allowance:2026-12`). */
    reference: text('reference'),
    note: text('note'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('token_ledger_org_seq').on(t.orgId, t.seq),
    uniqueIndex('token_ledger_org_kind_reference').on(t.orgId, t.kind, t.reference),
  ],
);

/** One billable AI action (seed 004 UsageEvent): what it used, for analytics. */
export const usageEvents = sqliteTable(
  'usage_events',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id'),
    feature: text('feature').notNull(),
    model: text('model'),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    totalTokens: integer('total_tokens').notNull(),
    /** Tokens taken from the wallet (at most the total: a wallet never goes below zero). */
    chargedTokens: integer('charged_tokens').notNull(),
    /** The provider reported no counts: estimated. */
    estimated: integer('estimated', { mode: 'boolean' }).notNull().default(false),
    latencyMs: integer('latency_ms'),
    jobId: text('job_id'),
    /** What the action made or answered (a document, a conversation, a query). */
    resourceId: text('resource_id'),
    /**
     * The semantic cache's part in the call: `hit` (answered from the cache, no provider tokens),
     * `miss` (asked the provider, then cached), `bypass` (Cache-Control: no-cache); null: not cacheable.
     */
    cacheStatus: text('cache_status', { enum: ['hit', 'miss', 'bypass'] }),
    createdAt: createdAt(),
  },
  (t) => [index('usage_events_org_created').on(t.orgId, t.createdAt)],
);

/**
 * An organization's Stripe customer and subscription (seed 001 SubscriptionPlan), as last read from
 * Stripe. `stripe_state_at` is the time of the state applied (a Stripe event's `created`, or when
 * the subscription was read), so an older state never replaces a newer one.
 */
export const billingSubscriptions = sqliteTable(
  'billing_subscriptions',
  {
    orgId: text('org_id')
      .primaryKey()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    stripeCustomerId: text('stripe_customer_id').notNull(),
    stripeSubscriptionId: text('stripe_subscription_id'),
    plan: text('plan', { enum: ['free', 'pro', 'enterprise'] })
      .notNull()
      .default('free'),
    /** Stripe's subscription status (`active`, `trialing`, `past_due`, `canceled`, …); null before one exists. */
    status: text('status'),
    currentPeriodEnd: text('current_period_end'),
    cancelAtPeriodEnd: integer('cancel_at_period_end', { mode: 'boolean' }).notNull().default(false),
    stripeStateAt: integer('stripe_state_at').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('billing_subscriptions_customer').on(t.stripeCustomerId)],
);

/** Stripe webhook events, kept by id: an event delivered twice is applied once. */
export const stripeEvents = sqliteTable('stripe_events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  /** The verified event as Stripe sent it (JSON). */
  payload: text('payload').notNull(),
  receivedAt: text('received_at').notNull(),
  processedAt: text('processed_at'),
  /** Why processing stopped, when it did (the queue retries). */
  error: text('error'),
});

/**
 * A tenant's outgoing webhook endpoint: an https URL on a public host, subscribed to event types
 * (`billing.*` patterns allowed). The signing secret is stored encrypted; it is shown once.
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    eventTypes: text('event_types', { mode: 'json' }).$type<string[]>().notNull(),
    secretEncrypted: text('secret_encrypted').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    disabledReason: text('disabled_reason'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhook_endpoints_org').on(t.orgId, t.createdAt)],
);

/** One event sent to one endpoint, with its attempts (the delivery log). */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    /** The event's id (the `webhook-id` header): the same for every endpoint it goes to. */
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    payload: text('payload').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: text('next_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    /** The first 1 KB of the endpoint's last answer. */
    lastResponse: text('last_response'),
    lastDurationMs: integer('last_duration_ms'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deliveredAt: text('delivered_at'),
  },
  (t) => [index('webhook_deliveries_endpoint').on(t.orgId, t.endpointId, t.createdAt)],
);

/** In-app notifications, each for one member of the organization. */
export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    type: text('type').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    readAt: text('read_at'),
    createdAt: createdAt(),
  },
  (t) => [index('notifications_user').on(t.orgId, t.userId, t.createdAt)],
);

/** Chat bots (seed 001 Bot): a configuration (packages/chat) and a public widget key. */
export const bots = sqliteTable(
  'bots',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    configuration: text('configuration', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** The widget's key: not a secret (it is in the page), unique across tenants, rotatable. */
    publicKey: text('public_key').notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('bots_public_key').on(t.publicKey), index('bots_org_created').on(t.orgId, t.createdAt)],
);

/** A conversation with a bot: started by a user of the tenant or (widget) an anonymous visitor. */
export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    botId: text('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    title: text('title'),
    userId: text('user_id'),
    visitorId: text('visitor_id'),
    messageCount: integer('message_count').notNull().default(0),
    lastMessageAt: text('last_message_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('conversations_org_bot').on(t.orgId, t.botId, t.updatedAt),
    index('conversations_org_bot_user').on(t.orgId, t.botId, t.userId, t.updatedAt),
    // A widget visitor has one conversation per bot (rows without a visitor never conflict).
    uniqueIndex('conversations_visitor').on(t.orgId, t.botId, t.visitorId),
  ],
);

/** The messages of a conversation, in `seq` order (1, 2, …: the order they were stored in). */
export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role', { enum: ['user', 'assistant'] }).notNull(),
    content: text('content').notNull(),
    citations: text('citations', { mode: 'json' }).$type<unknown[]>().notNull(),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    totalTokens: integer('total_tokens'),
    usageEstimated: integer('usage_estimated', { mode: 'boolean' }),
    model: text('model'),
    latencyMs: integer('latency_ms'),
    /** An assistant reply ended by a stop request: what was generated until then. */
    stopped: integer('stopped', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('messages_conversation_seq').on(t.orgId, t.conversationId, t.seq)],
);

/**
 * Conversations that have sockets open (chat-session Durable Objects), one row per kind: `credential`
 * (opened with a session or an API key), so that a revoked session, API key or membership closes them
 * and the revocation asks only these objects; `visitor` (a widget visitor), so that a bot made private,
 * re-keyed or deleted closes its visitors' sockets. Either kind lets a REST reply reach the sockets.
 */
export const chatConnections = sqliteTable(
  'chat_connections',
  {
    orgId: text('org_id').notNull(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['credential', 'visitor'] })
      .notNull()
      .default('credential'),
    openedAt: text('opened_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.conversationId, t.kind] })],
);

/** Files uploaded for booklets (seed 003): PDFs and XLSX workbooks, checked by content, kept in R2. */
export const uploads = sqliteTable(
  'uploads',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    filename: text('filename'),
    kind: text('kind', { enum: ['pdf', 'xlsx'] }).notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    fileKey: text('file_key').notNull(),
    /** What the content holds: a PDF's page count and form fields, or a workbook's sheets. */
    info: text('info', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('uploads_org_created').on(t.orgId, t.createdAt)],
);

/** A booklet's recipient (seed 003 Customer). `external_id` is the team's own id, unique in the organization. */
export const customers = sqliteTable(
  'customers',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    email: text('email'),
    externalId: text('external_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('customers_org_created').on(t.orgId, t.createdAt),
    uniqueIndex('customers_org_external').on(t.orgId, t.externalId),
  ],
);

/**
 * A customer's attribute, optionally for a period (year, quarter). One value per key and period: a
 * new value for the same period replaces the old one.
 */
export const customerAttributes = sqliteTable(
  'customer_attributes',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    value: text('value').notNull(),
    year: integer('year'),
    quarter: integer('quarter'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('customer_attributes_period').on(
      t.customerId,
      t.key,
      sql`coalesce(year, 0)`,
      sql`coalesce(quarter, 0)`,
    ),
  ],
);

/** A booklet definition (seed 003 Book): an ordered list of pages, generated into one PDF per customer. */
export const books = sqliteTable(
  'books',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    /** Whether generated booklets open with a table of contents. */
    tableOfContents: integer('table_of_contents', { mode: 'boolean' }).notNull().default(false),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('books_org_created').on(t.orgId, t.createdAt)],
);

/**
 * One page of a book (seed 003 Page): `static` (an uploaded PDF, or some of its pages), `pdf_form`
 * (a PDF form filled from the customer's attributes), `choosable` (a PDF chosen by conditions on
 * attributes) or `excel` (a worksheet rendered as table pages). `config` is checked against the type.
 * `upload_id` has no foreign key: a deleted upload is reported by generation, naming the page.
 */
export const bookPages = sqliteTable(
  'book_pages',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    bookId: text('book_id')
      .notNull()
      .references(() => books.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['static', 'pdf_form', 'choosable', 'excel'] }).notNull(),
    orderIndex: integer('order_index').notNull(),
    /** The page's bookmark and table-of-contents entry; defaults to the upload's name or the sheet. */
    title: text('title'),
    uploadId: text('upload_id'),
    config: text('config', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('book_pages_book_order').on(t.bookId, t.orderIndex, t.createdAt)],
);

/** A condition of a choosable page (seed 003 page_conditions): the first one matching picks its upload. */
export const pageConditions = sqliteTable(
  'page_conditions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    pageId: text('page_id')
      .notNull()
      .references(() => bookPages.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    attributeKey: text('attribute_key').notNull(),
    attributeValue: text('attribute_value').notNull(),
    targetUploadId: text('target_upload_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('page_conditions_page').on(t.pageId, t.position)],
);

/** A generated booklet's PDF, served by `GET /downloads/{id}`. */
export const bookletFiles = sqliteTable(
  'booklet_files',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    bookId: text('book_id').notNull(),
    customerId: text('customer_id').notNull(),
    jobId: text('job_id').notNull(),
    filename: text('filename').notNull(),
    fileKey: text('file_key').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    pageCount: integer('page_count').notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [index('booklet_files_org_created').on(t.orgId, t.createdAt), uniqueIndex('booklet_files_job').on(t.jobId)],
);

/**
 * A workflow (seed 004 Workflow): a named, versioned list of steps. Its definition, variables and
 * triggers live in its versions; `current_version` is the one a run uses. The webhook trigger's
 * secret is kept as a SHA-256 hash only (shown once when made or rotated).
 */
export const workflows = sqliteTable(
  'workflows',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description'),
    currentVersion: integer('current_version').notNull(),
    /** Disabled workflows keep their history but cannot run (manual, webhook or cron). */
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    webhookSecretHash: text('webhook_secret_hash'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('workflows_org_created').on(t.orgId, t.createdAt)],
);

/** One version of a workflow (seed 004 WorkflowVersion): every update writes a new one; none is ever changed. */
export const workflowVersions = sqliteTable(
  'workflow_versions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    definition: text('definition', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Declared inputs (seed 004 WorkflowVariable): name, type, default, required. */
    variables: text('variables', { mode: 'json' }).$type<Record<string, unknown>[]>().notNull(),
    /** Seed 004 WorkflowTrigger: manual, webhook, cron (with its schedule and input). */
    triggers: text('triggers', { mode: 'json' }).$type<Record<string, unknown>[]>().notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('workflow_versions_workflow_version').on(t.workflowId, t.version)],
);

/**
 * A cron trigger's next run, across tenants: the jobs Worker's scheduled handler starts every
 * schedule due (`next_run_at <= now`) and moves it to its next time. Rewritten with each version.
 */
export const workflowSchedules = sqliteTable(
  'workflow_schedules',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    /** The trigger's position in the version's triggers. */
    triggerIndex: integer('trigger_index').notNull(),
    cron: text('cron').notNull(),
    input: text('input', { mode: 'json' }).$type<Record<string, unknown>>(),
    nextRunAt: text('next_run_at').notNull(),
    lastRunAt: text('last_run_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('workflow_schedules_next_run').on(t.nextRunAt),
    uniqueIndex('workflow_schedules_workflow_trigger').on(t.workflowId, t.triggerIndex),
  ],
);

/**
 * One run of a workflow version (seed 004 WorkflowExecution). It runs as a durable Workflow
 * instance (`instance_id`; a retry runs a new instance that resumes from the failed step).
 */
export const workflowExecutions = sqliteTable(
  'workflow_executions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    status: text('status', { enum: ['queued', 'running', 'done', 'error', 'cancelled'] })
      .notNull()
      .default('queued'),
    trigger: text('trigger', { enum: ['manual', 'webhook', 'cron'] }).notNull(),
    input: text('input', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    output: text('output', { mode: 'json' }),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** The step that failed, while the execution is `error`. */
    failedStep: text('failed_step'),
    /** The Workflow instance running it, and how many instances ran it (1 + retries). */
    instanceId: text('instance_id').notNull(),
    runs: integer('runs').notNull().default(1),
    /** The semantic cache is bypassed (the run was asked with Cache-Control: no-cache). */
    cacheBypass: integer('cache_bypass', { mode: 'boolean' }).notNull().default(false),
    tokensUsed: integer('tokens_used').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
  },
  (t) => [
    index('workflow_executions_org_created').on(t.orgId, t.createdAt),
    index('workflow_executions_workflow_created').on(t.workflowId, t.createdAt),
    index('workflow_executions_status_updated').on(t.status, t.updatedAt),
  ],
);

/** One step of an execution (seed 004 ExecutionStep): its rendered input, output, attempts and timings. */
export const executionSteps = sqliteTable(
  'execution_steps',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id').notNull(),
    executionId: text('execution_id')
      .notNull()
      .references(() => workflowExecutions.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    position: integer('position').notNull(),
    type: text('type').notNull(),
    status: text('status', { enum: ['pending', 'running', 'done', 'error', 'skipped', 'cancelled'] })
      .notNull()
      .default('pending'),
    /** The step's parameters with their templates filled in, as first run (a retry reuses them). */
    input: text('input', { mode: 'json' }),
    output: text('output', { mode: 'json' }),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    attempts: integer('attempts').notNull().default(0),
    tokensUsed: integer('tokens_used').notNull().default(0),
    startedAt: text('started_at'),
    finishedAt: text('finished_at'),
    durationMs: integer('duration_ms'),
  },
  (t) => [uniqueIndex('execution_steps_execution_step').on(t.executionId, t.stepId)],
);

/**
 * An agent run (seed 000 AgentState): the request, the route its intent step chose, the steps done,
 * errors and retries, and the result (a document, a knowledge-base answer, images).
 */
export const agentRuns = sqliteTable(
  'agent_runs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    request: text('request').notNull(),
    status: text('status', { enum: ['queued', 'running', 'done', 'error', 'cancelled'] })
      .notNull()
      .default('queued'),
    route: text('route', { enum: ['document', 'kb_query', 'image'] }),
    /** How the route was chosen: the model's structured answer, or the keyword fallback. */
    routedBy: text('routed_by', { enum: ['model', 'keywords'] }),
    currentStep: text('current_step'),
    completedSteps: text('completed_steps', { mode: 'json' }).$type<string[]>().notNull(),
    errors: text('errors', { mode: 'json' }).$type<string[]>().notNull(),
    retryCount: integer('retry_count').notNull().default(0),
    result: text('result', { mode: 'json' }).$type<Record<string, unknown>>(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    cacheBypass: integer('cache_bypass', { mode: 'boolean' }).notNull().default(false),
    tokensUsed: integer('tokens_used').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: text('finished_at'),
  },
  (t) => [index('agent_runs_org_created').on(t.orgId, t.createdAt)],
);

/**
 * One AI call made by an execution step or an agent run (seed 004 AIRequest): model, tokens, time and
 * the semantic cache's part. Prompts are not kept here (only their hash).
 */
export const aiRequests = sqliteTable(
  'ai_requests',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    executionId: text('execution_id'),
    stepId: text('step_id'),
    agentRunId: text('agent_run_id'),
    purpose: text('purpose').notNull(),
    model: text('model'),
    provider: text('provider'),
    promptHash: text('prompt_hash').notNull(),
    inputTokens: integer('input_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    cacheStatus: text('cache_status', { enum: ['hit', 'miss', 'bypass'] }),
    latencyMs: integer('latency_ms'),
    createdAt: createdAt(),
  },
  (t) => [
    index('ai_requests_execution').on(t.executionId, t.createdAt),
    index('ai_requests_agent_run').on(t.agentRunId, t.createdAt),
  ],
);

/**
 * A summary template (seed 002 Template, template_type summary): a prompt template with typed
 * variables (`{{name}}` placeholders, declared like document templates' variables).
 */
export const summaryTemplates = sqliteTable(
  'summary_templates',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    promptTemplate: text('prompt_template').notNull(),
    variables: text('variables', { mode: 'json' }).$type<unknown[]>().notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('summary_templates_org_created').on(t.orgId, t.createdAt)],
);

/**
 * A summary of a knowledge-base document (seed 002 Summary), written by a `summary.generate` job:
 * map-reduce over the document's chunks for long documents, citing the passages and pages used.
 */
export const summaries = sqliteTable(
  'summaries',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    documentId: text('document_id')
      .notNull()
      .references(() => kbDocuments.id, { onDelete: 'cascade' }),
    templateId: text('template_id'),
    length: text('length', { enum: ['short', 'medium', 'long'] }).notNull(),
    focus: text('focus'),
    variables: text('variables', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    status: text('status', { enum: ['pending', 'processing', 'completed', 'failed'] })
      .notNull()
      .default('pending'),
    summaryText: text('summary_text'),
    citations: text('citations', { mode: 'json' }).$type<Record<string, unknown>[]>().notNull(),
    pagesUsed: text('pages_used', { mode: 'json' }).$type<number[]>().notNull(),
    /** How many model calls the summary took (1, or one per part and one to combine them). */
    passes: integer('passes').notNull().default(0),
    model: text('model'),
    tokensUsed: integer('tokens_used').notNull().default(0),
    jobId: text('job_id'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    completedAt: text('completed_at'),
  },
  (t) => [
    index('summaries_org_created').on(t.orgId, t.createdAt),
    index('summaries_document').on(t.documentId, t.createdAt),
  ],
);

/**
 * A connection to a Notion workspace or a Confluence Cloud site (seed 002 Integration). Its API token
 * is kept encrypted (AES-GCM under ENCRYPTION_KEY, see packages/auth secret-box) and never returned;
 * `key_fingerprint` names the key it is encrypted under, so a key rotation can re-encrypt the rest.
 */
export const integrations = sqliteTable(
  'integrations',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['notion', 'confluence'] }).notNull(),
    name: text('name').notNull(),
    /** Confluence: the site (`https://<site>.atlassian.net/wiki`); Notion: null. */
    baseUrl: text('base_url'),
    /** Confluence: the account the API token belongs to (Basic authentication). */
    email: text('email'),
    tokenEncrypted: text('token_encrypted').notNull(),
    /** The token's last four characters, to tell tokens apart. */
    tokenHint: text('token_hint').notNull(),
    keyFingerprint: text('key_fingerprint').notNull(),
    /** When the last sync ended, and how (see integration_syncs). */
    lastSyncedAt: text('last_synced_at'),
    lastSyncStatus: text('last_sync_status'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('integrations_org_created').on(t.orgId, t.createdAt), index('integrations_key').on(t.keyFingerprint)],
);

/**
 * What an integration imports: Notion pages (with their sub-pages), Confluence pages or spaces. Every
 * sync lists the pages these cover; a page none of them covers any more leaves the knowledge base.
 */
export const integrationSources = sqliteTable(
  'integration_sources',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    integrationId: text('integration_id')
      .notNull()
      .references(() => integrations.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['page', 'space'] }).notNull(),
    /** Notion: the page id (dashed UUID); Confluence: the page id, or the space key. */
    externalId: text('external_id').notNull(),
    /** As the provider names it, once a sync has found it. */
    title: text('title'),
    status: text('status', { enum: ['pending', 'found', 'not_found'] })
      .notNull()
      .default('pending'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('integration_sources_item').on(t.integrationId, t.kind, t.externalId)],
);

/** A provider page imported into the knowledge base, with the last-edited time it was indexed at. */
export const integrationPages = sqliteTable(
  'integration_pages',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    integrationId: text('integration_id')
      .notNull()
      .references(() => integrations.id, { onDelete: 'cascade' }),
    externalId: text('external_id').notNull(),
    title: text('title').notNull(),
    url: text('url'),
    /** The provider's last-edited time of the content indexed; a later one means the page changed. */
    lastEditedAt: text('last_edited_at'),
    contentSha256: text('content_sha256'),
    kbDocumentId: text('kb_document_id'),
    status: text('status', { enum: ['synced', 'error'] }).notNull(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    syncedAt: text('synced_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('integration_pages_item').on(t.integrationId, t.externalId),
    index('integration_pages_org_document').on(t.orgId, t.kbDocumentId),
  ],
);

/** One sync of an integration (an import, a request, or the cron): what it did and each page's error. */
export const integrationSyncs = sqliteTable(
  'integration_syncs',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    integrationId: text('integration_id')
      .notNull()
      .references(() => integrations.id, { onDelete: 'cascade' }),
    trigger: text('trigger', { enum: ['import', 'manual', 'cron'] }).notNull(),
    status: text('status', {
      enum: ['queued', 'running', 'completed', 'completed_with_errors', 'failed', 'cancelled'],
    })
      .notNull()
      .default('queued'),
    jobId: text('job_id').notNull(),
    /** pages_seen, created, updated, unchanged, deleted, failed, deferred. */
    counts: text('counts', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    /** Per page (or source): `{ external_id, title, code, message }`, at most 100. */
    errors: text('errors', { mode: 'json' }).$type<Record<string, unknown>[]>().notNull(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    startedAt: text('started_at'),
    endedAt: text('ended_at'),
  },
  (t) => [
    index('integration_syncs_integration_created').on(t.integrationId, t.createdAt),
    // One live sync per integration: a second request while one is queued or running is refused.
    uniqueIndex('integration_syncs_live').on(t.integrationId).where(sql`status IN ('queued', 'running')`),
  ],
);

/**
 * A single sign-on attempt between `POST /auth/sso/{provider}` and its callback. The `state` sent to
 * the provider is stored only as its SHA-256; the nonce and the PKCE verifier are kept encrypted
 * (secret box). Single use (`used_at`, set by a conditional update) and short-lived.
 */
export const ssoStates = sqliteTable(
  'sso_states',
  {
    id: text('id').primaryKey(),
    stateHash: text('state_hash').notNull().unique(),
    provider: text('provider').notNull(),
    redirectUri: text('redirect_uri').notNull(),
    /** The organization the sign-in asked for; membership is checked at the callback. */
    orgId: text('org_id'),
    /** The invitation the sign-in accepts, checked again at the callback. */
    invitationId: text('invitation_id'),
    /** `{ nonce, verifier }` as JSON, encrypted. */
    secretsEncrypted: text('secrets_encrypted').notNull(),
    createdAt: createdAt(),
    expiresAt: text('expires_at').notNull(),
    usedAt: text('used_at'),
  },
  (t) => [index('sso_states_expires').on(t.expiresAt)],
);

/** An account's identity at an OIDC provider: the provider's stable `sub`, bound once linked. */
export const ssoIdentities = sqliteTable(
  'sso_identities',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    subject: text('subject').notNull(),
    /** The verified email the provider vouched for when the identity was linked. */
    email: text('email').notNull(),
    createdAt: createdAt(),
    lastUsedAt: text('last_used_at').notNull(),
  },
  (t) => [
    uniqueIndex('sso_identities_subject').on(t.provider, t.subject),
    uniqueIndex('sso_identities_user_provider').on(t.userId, t.provider),
  ],
);

/**
 * An organization's email domain for SSO placement: once verified (a DNS TXT record with the
 * token), a first SSO sign-in with a verified address at the domain joins the organization with
 * `role`. A domain is verified for one organization at most.
 */
export const ssoDomains = sqliteTable(
  'sso_domains',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    domain: text('domain').notNull(),
    role: text('role', { enum: ['member', 'viewer'] }).notNull(),
    verificationToken: text('verification_token').notNull(),
    verifiedAt: text('verified_at'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('sso_domains_org_domain').on(t.orgId, t.domain),
    uniqueIndex('sso_domains_verified').on(t.domain).where(sql`verified_at is not null`),
  ],
);

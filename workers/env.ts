import type { AiVars } from '@flowspark/ai';
import type { ConfigVars } from '@flowspark/core';
import type { SsoVars } from '@flowspark/sso';
import type { JobsServiceRpc } from './lib/jobs-service';
import type { ChatSession } from './objects/chat-session';
import type { JobFeed } from './objects/job-feed';
import type { KeywordIndex } from './objects/keyword-index';
import type { LocalVectorIndex } from './objects/local-vector-index';
import type { RateLimiter } from './objects/rate-limiter';
import type { SemanticCache } from './objects/semantic-cache';
import type { TokenWallet } from './objects/token-wallet';

/**
 * The bindings of both Workers. The API Worker (wrangler.toml) has all but the queue consumer; the jobs
 * Worker (wrangler.jobs.toml) has no RATE_LIMITER, no CHAT_SESSION and no JOBS_SERVICE. JOB_FEED and VECTOR_INDEX are
 * the jobs Worker's classes, bound by the API Worker with `script_name`. AI and VECTORIZE exist only
 * in production (the *.production.toml files). The AI provider's variables (`AI_PROVIDER`: `local`,
 * `workers-ai` or `openai`; models, timeouts) are packages/ai's `AiVars`. Single sign-on's (`SSO_PROVIDERS`,
 * `SSO_REDIRECT_URIS`, the `SSO_<ID>_CLIENT_SECRET` secrets, the local issuer's) are packages/sso's `SsoVars`.
 */
export interface Env extends ConfigVars, AiVars, SsoVars {
  DB: D1Database;
  FILES: R2Bucket;
  JOBS: Queue<QueueMessage>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  JOB_FEED: DurableObjectNamespace<JobFeed>;
  /** The chat-session object of a conversation (API Worker only): its live sockets. */
  CHAT_SESSION: DurableObjectNamespace<ChatSession>;
  /** The jobs Worker's RPC entrypoint `JobsService` (API Worker only). */
  JOBS_SERVICE: Fetcher & JobsServiceRpc;
  /** The local vector index (dev, tests, or production without Vectorize): one object per tenant. */
  VECTOR_INDEX: DurableObjectNamespace<LocalVectorIndex>;
  /** The knowledge base's keyword index (FTS5): one object per tenant. */
  KEYWORD_INDEX: DurableObjectNamespace<KeywordIndex>;
  /** The token wallet: one object per organization (the jobs Worker's class). */
  TOKEN_WALLET: DurableObjectNamespace<TokenWallet>;
  /** The semantic cache of LLM answers: one object per organization (the jobs Worker's class). */
  SEMANTIC_CACHE: DurableObjectNamespace<SemanticCache>;
  /** Workflow executions and agent runs (Cloudflare Workflows; jobs Worker only). */
  WORKFLOW_EXECUTIONS: Workflow<WorkflowRunParams>;
  AGENT_RUNS: Workflow<WorkflowRunParams>;
  /** Workers Static Assets (API Worker only): `.assets/`, built by scripts/build-assets.mjs. */
  ASSETS: Fetcher;
  /** Private JWK (ES256) that signs access tokens. */
  JWT_PRIVATE_KEY: string;
  /** Older public JWKs (JSON array) still accepted during key rotation. */
  JWT_PUBLIC_KEYS?: string;
  /** Key material for secrets encrypted at rest (TOTP secrets, idempotent replays). */
  ENCRYPTION_KEY: string;
  /** The key ENCRYPTION_KEY replaced, while integration tokens are re-encrypted under the new one. */
  ENCRYPTION_KEY_PREVIOUS?: string;
  /** Minutes between the cron's syncs of an integration (default 60; 0 turns the cron sync off). */
  INTEGRATION_SYNC_MINUTES?: string;
  MAILER?: string;
  MAIL_WEBHOOK_URL?: string;
  /** Workers AI binding (production only). */
  AI?: Ai;
  /** Vectorize index (production only). */
  VECTORIZE?: Vectorize;
  /** `local` (the VECTOR_INDEX Durable Object) or `vectorize`. */
  VECTOR_PROVIDER?: string;
  /** Knowledge-base upload cap in bytes (default 20 MB). */
  KB_MAX_UPLOAD_BYTES?: string;
  /** Minimum vector similarity for a hit to count as relevant for an answer (default per model). */
  KB_MIN_VECTOR_SCORE?: string;
  /** Plan overrides (JSON), e.g. `{"free":{"monthly_tokens":2000000}}` (packages/billing/src/plans.ts). */
  BILLING_PLANS?: string;
  /** Stripe (secrets): without STRIPE_SECRET_KEY, checkout and the portal answer 503 BILLING_NOT_CONFIGURED. */
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** The Stripe prices (ids) of the paid plans. */
  STRIPE_PRICE_PRO?: string;
  STRIPE_PRICE_ENTERPRISE?: string;
  /** Most bytes a keyword index object's postings may hold in memory before FTS5 ranks it (default 64 MiB). */
  KB_KEYWORD_MEMORY_BYTES?: string;
  /** The semantic cache of LLM answers (packages/ai-cache/src/settings.ts): `off` disables it. */
  AI_CACHE?: string;
  /** Least cosine similarity (0..1) for a similar prompt to be answered from the cache (default per embedding model). */
  AI_CACHE_SIMILARITY?: string;
  /** How long a cached answer is kept, in seconds (default 604800: 7 days). */
  AI_CACHE_TTL_SECONDS?: string;
  /** Most cached answers per organization; past it the least recently used go (default 5000). */
  AI_CACHE_MAX_ENTRIES?: string;
}

/** What a workflow execution's or agent run's instance is started with: ids only (the rows hold the rest). */
export interface WorkflowRunParams {
  org_id: string;
  /** The execution (`exe_…`) or agent run (`agr_…`). */
  run_id: string;
}

/** Queue messages carry ids only; payloads live in D1 or R2. */
export interface JobMessage {
  job_id: string;
  org_id: string;
}

/** A verified Stripe event to apply (its payload is in D1's stripe_events). */
export interface StripeEventMessage {
  kind: 'stripe.event';
  event_id: string;
}

/** One attempt of an outgoing webhook delivery. */
export interface WebhookDeliveryMessage {
  kind: 'webhook.delivery';
  delivery_id: string;
  org_id: string;
}

/** What the JOBS queue carries: job messages (no `kind`) and the messages of other kinds. */
export type QueueMessage = JobMessage | StripeEventMessage | WebhookDeliveryMessage;

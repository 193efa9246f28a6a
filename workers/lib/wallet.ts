import { type AiProvider, meteredProvider, type TokenMeter, type TokenUsage } from '@flowspark/ai';
import type { SettledUsage, UsageCacheStatus, WalletCredit, WalletView } from '@flowspark/billing';
import { AppError, describeError, logger } from '@flowspark/core';
import type { Env } from '../env';

/**
 * The organization's token wallet (one TokenWallet object per organization, named by its id): what
 * AI operations reserve from and settle to, and what billing credits.
 */
export const tokenWallet = (env: Pick<Env, 'TOKEN_WALLET'>, orgId: string) =>
  env.TOKEN_WALLET.get(env.TOKEN_WALLET.idFromName(orgId));

/** Billable features, as usage events and ledger debits name them. */
export type BillableFeature =
  | 'kb.answer'
  | 'chat.reply'
  | 'document.generate'
  | 'presentation.generate'
  | 'image.generate'
  | 'workflow.step'
  | 'summary.generate'
  | 'agent.run';

/** How long a synchronous call's reservation is held (a long streamed answer included). */
const CALL_RESERVATION_MS = 10 * 60 * 1000;
/** A job's: queued, retried, then run. */
export const JOB_RESERVATION_MS = 6 * 60 * 60 * 1000;

export const insufficientTokens = (required: number, availableTokens: number) =>
  new AppError(
    'INSUFFICIENT_TOKENS',
    `Not enough tokens: this needs up to ${required.toLocaleString('en-US')} and ${availableTokens.toLocaleString('en-US')} are available`,
    { details: { required, available: availableTokens } },
  );

export interface Billed {
  orgId: string;
  feature: BillableFeature;
  /** Who asked (a user, an API key's creator); null for a widget visitor. */
  userId: string | null;
  jobId?: string | null;
  resourceId?: string | null;
  /** The semantic cache's part in the call, for its usage event (absent: the call is not cacheable). */
  cacheStatus?: UsageCacheStatus | null;
}

/**
 * Reserves `amount` tokens, or throws 402 INSUFFICIENT_TOKENS with `details.required` and
 * `details.available`. `reference`: the reservation's id (a job's, so the job can settle it).
 */
export const reserveTokens = async (
  env: Pick<Env, 'TOKEN_WALLET'>,
  billed: Pick<Billed, 'orgId' | 'feature'>,
  amount: number,
  options: { ttlMs?: number; reference?: string } = {},
): Promise<string> => {
  const outcome = await tokenWallet(env, billed.orgId).reserve(billed.orgId, {
    amount,
    feature: billed.feature,
    ttl_ms: options.ttlMs ?? CALL_RESERVATION_MS,
    ...(options.reference ? { reference: options.reference } : {}),
  });
  if (!outcome.ok) throw insufficientTokens(outcome.required, outcome.available);
  return outcome.reservation_id;
};

const settledUsage = (
  billed: Billed,
  usage: TokenUsage,
  model: string | null,
  latencyMs: number | null,
): SettledUsage => ({
  feature: billed.feature,
  model,
  input_tokens: usage.prompt_tokens,
  output_tokens: usage.completion_tokens,
  total_tokens: usage.total_tokens,
  estimated: usage.estimated,
  latency_ms: latencyMs,
  user_id: billed.userId,
  job_id: billed.jobId ?? null,
  resource_id: billed.resourceId ?? null,
  cache_status: billed.cacheStatus ?? null,
});

/**
 * Holds `amount` tokens (402 INSUFFICIENT_TOKENS otherwise) for the work `write` records (a job
 * that settles them when it ends); a `write` that fails frees them, so nothing written holds nothing.
 */
export const withReservedTokens = async <T>(
  env: Pick<Env, 'TOKEN_WALLET'>,
  billed: Pick<Billed, 'orgId' | 'feature'>,
  amount: number,
  write: (reservationId: string) => Promise<T>,
): Promise<T> => {
  const reservationId = await reserveTokens(env, billed, amount, { ttlMs: JOB_RESERVATION_MS });
  try {
    return await write(reservationId);
  } catch (err) {
    await releaseTokens(env, billed.orgId, reservationId);
    throw err;
  }
};

/** Settles a reservation with the usage; the wallet writes the debit and the usage event. */
export const settleTokens = async (
  env: Pick<Env, 'TOKEN_WALLET'>,
  billed: Billed,
  reservationId: string,
  usage: TokenUsage,
  model: string | null,
  latencyMs: number | null,
): Promise<void> => {
  await tokenWallet(env, billed.orgId).settle(
    billed.orgId,
    reservationId,
    settledUsage(billed, usage, model, latencyMs),
  );
};

/**
 * Frees a reservation. A failure is logged, not thrown: the reservation expires by itself, and the
 * operation's own outcome (usually an error already) is what the caller reports.
 */
export const releaseTokens = async (env: Pick<Env, 'TOKEN_WALLET'>, orgId: string, reservationId: string) => {
  try {
    await tokenWallet(env, orgId).release(orgId, reservationId);
  } catch (err) {
    logger.warn('token reservation not released', { org_id: orgId, ...describeError(err) });
  }
};

/** Runs a step, adding its milliseconds to `timings[name]` when there is somewhere to record them. */
const timed = async <T>(timings: Record<string, number> | undefined, name: string, step: () => Promise<T>) => {
  if (!timings) return step();
  const started = performance.now();
  try {
    return await step();
  } finally {
    timings[name] = (timings[name] ?? 0) + performance.now() - started;
  }
};

/**
 * A meter that reserves each chat call's estimate from the organization's wallet and settles it.
 * `timings` (Server-Timing) gets `wallet-reserve` and `wallet-settle`: what the wallet adds to a call.
 */
export const walletMeter = (
  env: Pick<Env, 'TOKEN_WALLET'>,
  billed: Billed,
  timings?: Record<string, number>,
): TokenMeter => ({
  reserve: async (estimate) => {
    const id = await timed(timings, 'wallet-reserve', () => reserveTokens(env, billed, estimate));
    return {
      settle: (usage, model, latencyMs) =>
        timed(timings, 'wallet-settle', () => settleTokens(env, billed, id, usage, model, latencyMs)),
      release: () => releaseTokens(env, billed.orgId, id),
    };
  },
});

/** The provider, with every chat call paid from the organization's wallet. */
export const billedProvider = (
  env: Pick<Env, 'TOKEN_WALLET'>,
  provider: AiProvider,
  billed: Billed,
  timings?: Record<string, number>,
): AiProvider => meteredProvider(provider, walletMeter(env, billed, timings));

export const walletView = (env: Pick<Env, 'TOKEN_WALLET'>, orgId: string): Promise<WalletView> =>
  tokenWallet(env, orgId).view(orgId);

export const creditTokens = (env: Pick<Env, 'TOKEN_WALLET'>, orgId: string, credit: WalletCredit) =>
  tokenWallet(env, orgId).credit(orgId, credit);

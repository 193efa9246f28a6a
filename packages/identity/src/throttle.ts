import { AppError, type LoginThrottle } from '@flowspark/core';
import { schema } from '@flowspark/db';
import { and, count, desc, eq, gt, max, type SQL, sql } from 'drizzle-orm';
import type { IdentityContext } from './context';

const { loginAttempts } = schema;

/** Failures feed the throttle; successes are kept for the record. Attempt ids never leave the server. */
export const recordLoginAttempt = (ctx: IdentityContext, email: string, ip: string, success: boolean) =>
  ctx.db.insert(loginAttempts).values({
    id: `lat_${crypto.randomUUID().replaceAll('-', '')}`,
    email,
    ip,
    success,
    createdAt: new Date().toISOString(),
  });

/**
 * A complete sign-in (`users.last_login_at`) starts the account's counts over: only the account
 * holder can produce one. A correct password alone does not (with MFA on, it is only half a sign-in),
 * and the IP's own count never starts over, or an attacker could reset it by signing in to their own
 * account.
 */
const sinceLastSignIn = (email: string): SQL =>
  sql`${loginAttempts.createdAt} > coalesce((select u.last_login_at from users u where u.email = ${email}), '')`;

const failures = (who: SQL, windowStart: string) =>
  and(who, eq(loginAttempts.success, false), gt(loginAttempts.createdAt, windowStart))!;

/**
 * The three counts one sign-in attempt is judged by, as unexecuted statements so a caller can put
 * them in the batch it already makes: this account from this IP (count and newest failure), the
 * account's `maxFailuresPerAccount`-th newest failure from anywhere, and the IP's
 * `maxFailuresPerIp`-th newest failure for any account.
 */
export const throttleQueries = (ctx: IdentityContext, email: string, ip: string) => {
  const { maxFailuresPerAccount, maxFailuresPerIp, windowSeconds } = ctx.config.login;
  const windowStart = new Date(Date.now() - windowSeconds * 1000).toISOString();
  const nth = (who: SQL, n: number) =>
    ctx.db
      .select({ createdAt: loginAttempts.createdAt })
      .from(loginAttempts)
      .where(failures(who, windowStart))
      .orderBy(desc(loginAttempts.createdAt))
      .limit(1)
      .offset(n - 1);
  return [
    ctx.db
      .select({ n: count(), last: max(loginAttempts.createdAt) })
      .from(loginAttempts)
      .where(
        failures(and(eq(loginAttempts.email, email), eq(loginAttempts.ip, ip), sinceLastSignIn(email))!, windowStart),
      ),
    nth(and(eq(loginAttempts.email, email), sinceLastSignIn(email))!, maxFailuresPerAccount),
    nth(eq(loginAttempts.ip, ip), maxFailuresPerIp),
  ] as const;
};

type ThrottleRows = [{ n: number; last: string | null }[], { createdAt: string }[], { createdAt: string }[]];

/** Seconds until the next attempt is allowed, or 0. `pair.n` failures cost 2^(n - free) seconds each. */
export const retryAfterSeconds = (rows: ThrottleRows, config: LoginThrottle, now = Date.now()): number => {
  const [pairRows, accountRows, ipRows] = rows;
  const untils: number[] = [];
  const pair = pairRows[0];
  if (pair?.last && pair.n >= config.freeFailures) {
    const delay = Math.min(2 ** (pair.n - config.freeFailures), config.maxDelaySeconds);
    untils.push(Date.parse(pair.last) + delay * 1000);
  }
  // A ceiling is reached while the n-th newest failure is in the window; it lifts when that one leaves.
  for (const nth of [accountRows[0]?.createdAt, ipRows[0]?.createdAt]) {
    if (nth) untils.push(Date.parse(nth) + config.windowSeconds * 1000);
  }
  const until = Math.max(0, ...untils);
  return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : 0;
};

export const tooManyAttempts = (retryAfter: number) =>
  new AppError('TOO_MANY_ATTEMPTS', 'Too many failed attempts; try again later', {
    details: { retry_after_seconds: retryAfter },
    headers: { 'Retry-After': String(retryAfter) },
  });

/** Throws TOO_MANY_ATTEMPTS when this account may not be tried from this IP yet. */
export const assertLoginAllowed = async (ctx: IdentityContext, email: string, ip: string): Promise<void> => {
  const [pair, account, byIp] = throttleQueries(ctx, email, ip);
  const rows = await ctx.db.batch([pair, account, byIp]);
  const wait = retryAfterSeconds(rows, ctx.config.login);
  if (wait > 0) throw tooManyAttempts(wait);
};

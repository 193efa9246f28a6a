import { bytesToHex, decryptSecret, encryptSecret } from '@flowspark/auth';
import { AppError } from '@flowspark/core';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  findIdempotencyKey,
  type IdempotencyScope,
  releaseIdempotencyKey,
} from '@flowspark/db';
import type { Context, MiddlewareHandler } from 'hono';
import { type AppEnv, routeContext } from '../lib/context';

const TTL_SECONDS = 24 * 3600;

/**
 * Hashes what the request means, not how it was framed: raw bytes for JSON (decoding an upload as
 * text would corrupt it), and the fields and file contents for multipart, whose boundary changes on
 * every retry.
 */
const hashRequest = async (c: Context<AppEnv>): Promise<string> => {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(`${c.req.method} ${c.req.path}\n`)];
  if ((c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
    for (const [name, value] of await c.req.formData()) {
      if (typeof value === 'string') parts.push(encoder.encode(`${name}=${value}\n`));
      else {
        parts.push(encoder.encode(`${name}=file:${value.name}:${value.type}:${value.size}\n`));
        parts.push(new Uint8Array(await value.arrayBuffer()));
      }
    }
  } else {
    parts.push(new Uint8Array(await c.req.arrayBuffer()));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', all)));
};
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const PURPOSE = 'idempotency-replay';

/**
 * `Idempotency-Key` on POST: the same key and body within 24 h replays the first response; the same
 * key with another body is 409. Keys are scoped to the tenant and the caller. Stored responses are
 * encrypted, since some carry secrets that are shown once. Failed requests release the key so a
 * corrected retry can run.
 */
export const idempotency: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = c.req.header('idempotency-key');
  if (key === undefined || c.req.method !== 'POST') return next();
  if (!KEY_PATTERN.test(key)) {
    throw new AppError('VALIDATION_ERROR', 'Idempotency-Key must be 1 to 255 visible ASCII characters', {
      details: { fields: { 'Idempotency-Key': ['Invalid value'] } },
    });
  }
  const { db, actor } = routeContext(c);
  const scope: IdempotencyScope = { orgId: actor.orgId, actorId: actor.apiKeyId ?? actor.userId, key };
  const requestHash = await hashRequest(c);
  const now = new Date();

  if (!(await claimIdempotencyKey(db, scope, requestHash, now, TTL_SECONDS))) {
    const existing = await findIdempotencyKey(db, scope);
    if (existing && existing.expiresAt <= now.toISOString()) {
      await releaseIdempotencyKey(db, scope);
      if (!(await claimIdempotencyKey(db, scope, requestHash, now, TTL_SECONDS))) {
        throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running');
      }
    } else if (existing) {
      if (existing.requestHash !== requestHash) {
        throw new AppError('IDEMPOTENCY_CONFLICT', 'This Idempotency-Key was used with a different request');
      }
      if (existing.status !== 'done' || existing.responseBody === null || existing.responseStatus === null) {
        throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running');
      }
      const body = await decryptSecret(c.env.ENCRYPTION_KEY, PURPOSE, existing.responseBody);
      return c.newResponse(body, existing.responseStatus as 200, {
        'Content-Type': 'application/json',
        'Idempotent-Replayed': 'true',
      });
    }
  }

  try {
    await next();
  } catch (err) {
    await releaseIdempotencyKey(db, scope);
    throw err;
  }
  // Only successes are kept: a refused request may be corrected and sent again with the same key.
  // A stream (SSE) is never buffered to be stored: it must reach the client as it is produced.
  const status = c.res.status;
  if (status >= 400 || c.error || (c.res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    await releaseIdempotencyKey(db, scope);
    return;
  }
  const body = await c.res.clone().text();
  await completeIdempotencyKey(db, scope, status, await encryptSecret(c.env.ENCRYPTION_KEY, PURPOSE, body));
};

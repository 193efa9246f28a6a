import { payloadTooLarge } from '@flowspark/core';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../lib/context';
import { uploadLimitFor } from './upload-limit';

/**
 * The body's size as far as it is known when it is refused: its Content-Length when it declares one;
 * a chunked body is refused as soon as it passes the limit, without counting the rest, so its size
 * is given as the least it can be (limit + 1).
 */
const refusedSize = (headers: Headers, maxBytes: number): number => {
  const declared = headers.has('transfer-encoding') ? Number.NaN : Number(headers.get('content-length') ?? '');
  return Number.isSafeInteger(declared) && declared > maxBytes ? declared : maxBytes + 1;
};

/** Bodies beyond the configured size (or an upload route's own) are refused before anything parses them. */
export const bodyLimit: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxBytes = uploadLimitFor(c.req.method, c.req.path) ?? c.get('config').maxBodyBytes;
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw payloadTooLarge(`Request body exceeds ${maxBytes} bytes`, {
        limit: maxBytes,
        actual: refusedSize(c.req.raw.headers, maxBytes),
      });
    },
  })(c, next);
};

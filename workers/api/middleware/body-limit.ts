import { AppError } from '@flowspark/core';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../lib/context';
import { uploadLimitFor } from './upload-limit';

/** Bodies beyond the configured size (or an upload route's own) are refused before anything parses them. */
export const bodyLimit: MiddlewareHandler<AppEnv> = (c, next) => {
  const maxBytes = uploadLimitFor(c.req.method, c.req.path) ?? c.get('config').maxBodyBytes;
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`, {
        details: { max_bytes: maxBytes },
      });
    },
  })(c, next);
};

import { AppError } from '@flowspark/core';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../lib/context';

/** Bodies beyond the configured size are refused before anything parses them. */
export const bodyLimit: MiddlewareHandler<AppEnv> = (c, next) =>
  honoBodyLimit({
    maxSize: c.get('config').maxBodyBytes,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', `Request body exceeds ${c.get('config').maxBodyBytes} bytes`, {
        details: { max_bytes: c.get('config').maxBodyBytes },
      });
    },
  })(c, next);

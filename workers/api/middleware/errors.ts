import { AppError, describeError, type ErrorCode, errorBody, isValidRequestId, logger, newId } from '@flowspark/core';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../lib/context';

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_ERROR',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** The request id even when the error happened before the request-id middleware ran. */
const requestIdOf = (c: Context<AppEnv>): string => {
  const existing = c.get('requestId');
  if (existing) return existing;
  const incoming = c.req.header('x-request-id');
  return isValidRequestId(incoming) ? incoming : newId('req');
};

export const errorResponse = (c: Context<AppEnv>, err: AppError): Response => {
  const response = c.json(errorBody(err.code, err.message, requestIdOf(c), err.details), err.status);
  for (const [name, value] of Object.entries(err.headers ?? {})) response.headers.set(name, value);
  return response;
};

/** Everything thrown anywhere becomes the error envelope; a 500 never shows internal messages. */
export const onError: ErrorHandler<AppEnv> = (err, c) => {
  if (err instanceof AppError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 400 && /json/i.test(err.message)) {
      return errorResponse(c, new AppError('MALFORMED_JSON', 'Request body is not valid JSON'));
    }
    const code = HTTP_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR');
    const message = status >= 500 ? 'Internal server error' : err.message || 'Bad request';
    return errorResponse(c, new AppError(code, message));
  }
  logger.error('unhandled error', { request_id: requestIdOf(c), path: c.req.path, ...describeError(err) });
  return errorResponse(c, new AppError('INTERNAL_ERROR', 'Internal server error'));
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new AppError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`));

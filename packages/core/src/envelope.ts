import type { ErrorCode } from './errors';

export interface Meta {
  timestamp: string;
  request_id: string;
}

export interface Pagination {
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
  has_next: boolean;
  has_previous: boolean;
}

export interface SuccessBody<T> {
  success: true;
  data: T;
  meta: Meta;
}

export interface PaginatedBody<T> extends SuccessBody<T[]> {
  pagination: Pagination;
}

export interface ErrorBody {
  success: false;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  meta: Meta;
}

export const meta = (requestId: string): Meta => ({ timestamp: new Date().toISOString(), request_id: requestId });

export const successBody = <T>(data: T, requestId: string): SuccessBody<T> => ({
  success: true,
  data,
  meta: meta(requestId),
});

export const errorBody = (
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
): ErrorBody => ({
  success: false,
  error: details ? { code, message, details } : { code, message },
  meta: meta(requestId),
});

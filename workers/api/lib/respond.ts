import { type PageRequest, pagination, successBody } from '@flowspark/core';
import type { AppContext } from './context';

/** Success envelope. The status is part of each route's contract, so it is always given. */
export const ok = <T, S extends 200 | 201 | 202>(c: AppContext, data: T, status: S) =>
  c.json(successBody(data, c.get('requestId')), status);

export const paginated = <T>(c: AppContext, items: T[], page: PageRequest, total: number) =>
  c.json({ ...successBody(items, c.get('requestId')), pagination: pagination(page, total) }, 200);

export const noContent = (c: AppContext) => c.body(null, 204);

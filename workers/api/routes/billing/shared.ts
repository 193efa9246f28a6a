import { AppError } from '@flowspark/core';
import type { AppContext } from '../../lib/context';
import { routeContext } from '../../lib/context';

/** A return URL for Stripe: the given one if it is on APP_URL's origin, else APP_URL + `path`. */
export const returnUrl = (c: AppContext, given: string | undefined, path: string, field: string): string => {
  const app = new URL(routeContext(c).config.appUrl);
  if (given === undefined) return new URL(path, app).toString();
  if (new URL(given).origin !== app.origin) {
    throw new AppError('VALIDATION_ERROR', 'Request validation failed', {
      details: { fields: { [field]: [`Must be a page of ${app.origin}`] } },
    });
  }
  return given;
};

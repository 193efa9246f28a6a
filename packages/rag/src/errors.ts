import { AppError, payloadTooLarge } from '@flowspark/core';
import type { ExtractionFailure } from './types';

/** A file that cannot be turned into text: the job marks the document failed with this message. */
export const extractionFailed = (reason: ExtractionFailure, message: string, cause?: unknown) =>
  new AppError('UNPROCESSABLE', message, { details: { reason }, cause });

/** A file past an extraction ceiling (pages, characters): `details.reason` TOO_LARGE, the cap and the file's figure. */
export const extractionTooLarge = (message: string, limit: number, actual: number) =>
  payloadTooLarge(message, { limit, actual, reason: 'TOO_LARGE' });

import { AppError } from '@flowspark/core';
import type { ExtractionFailure } from './types';

/** A file that cannot be turned into text: the job marks the document failed with this message. */
export const extractionFailed = (reason: ExtractionFailure, message: string, cause?: unknown) =>
  new AppError('UNPROCESSABLE', message, { details: { reason }, cause });

/** A file past an extraction ceiling (pages, characters, inflated size). */
export const extractionTooLarge = (message: string, limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', message, { details: { reason: 'TOO_LARGE', limit } });

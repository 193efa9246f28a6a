import { DEFAULT_PAGE_SIZE, ERROR_STATUS, MAX_PAGE_SIZE } from '@flowspark/core';
import { z } from '@hono/zod-openapi';

/**
 * Shared pieces of every route contract. Built on first use of a route group, never at start-up.
 */
export const MetaSchema = z.object({
  timestamp: z.string().openapi({ example: '2026-01-01T00:00:00.000Z' }),
  request_id: z.string().openapi({ example: 'req_8f14e45fceea167a5a36dedd4bea2543' }),
});

export const ErrorSchema = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
    meta: MetaSchema,
  })
  .openapi('Error');

export const PaginationSchema = z
  .object({
    total: z.number().int(),
    page: z.number().int(),
    page_size: z.number().int(),
    total_pages: z.number().int(),
    has_next: z.boolean(),
    has_previous: z.boolean(),
  })
  .openapi('Pagination');

export const envelope = <T extends z.ZodType>(data: T) =>
  z.object({ success: z.literal(true), data, meta: MetaSchema });

export const paginatedEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({ success: z.literal(true), data: z.array(item), pagination: PaginationSchema, meta: MetaSchema });

/** `?page=&page_size=` from 1, default 20, at most 100. */
export const PageQuerySchema = z.strictObject({
  page: z.coerce.number().int().min(1).default(1).openapi({ example: 1 }),
  page_size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).openapi({ example: 20 }),
});

/** A JSON response in the success envelope. */
export const jsonResponse = <T extends z.ZodType>(data: T, description: string) => ({
  description,
  content: { 'application/json': { schema: envelope(data) } },
});

export const paginatedResponse = <T extends z.ZodType>(item: T, description: string) => ({
  description,
  content: { 'application/json': { schema: paginatedEnvelope(item) } },
});

/** A required JSON body: a request without one is a validation error, not an empty object. */
export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  description,
  required: true,
  content: { 'application/json': { schema } },
});

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (VALIDATION_ERROR, MALFORMED_JSON)',
  401: 'Missing, invalid or expired credentials',
  402: 'Not enough tokens',
  403: 'The caller lacks the role or scope',
  404: 'Not found (also for resources of another organization)',
  409: 'Conflict (duplicate, idempotency conflict)',
  410: 'Gone (expired or used link)',
  413: 'Too large (PAYLOAD_TOO_LARGE): details.limit is the cap and details.actual the figure refused, in the same unit; details.reason, where given, says which kind (TOO_LARGE, ARCHIVE_TOO_LARGE)',
  415: 'Unsupported media type',
  422: 'Semantically invalid request',
  429: 'Rate limited; see Retry-After',
  500: 'Internal error',
  502: 'An upstream service (an identity provider) failed (SSO_PROVIDER_ERROR)',
  503: 'A service the request needs is unavailable (SERVICE_UNAVAILABLE); details.reason says which, e.g. AI_PROVIDER_ERROR',
};

export const errorResponses = (statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  );

/** Ids are prefixed random strings, e.g. `usr_…`; anything else cannot exist. */
export const idParam = (name: string, example: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z]{3}_[0-9a-f]{32}$/, 'Invalid id')
    .openapi({ param: { name, in: 'path' }, example });

/** Trimmed and lower-cased before it is checked, so ` Ada@Example.com ` is accepted as one address. */
export const EmailSchema = z.string().trim().toLowerCase().pipe(z.email().max(254));

/** A current TOTP code or an unused recovery code. */
export const MfaCodeSchema = z
  .string()
  .trim()
  .min(6)
  .max(32)
  .openapi({ description: 'A current TOTP code or an unused recovery code' });

export const PasswordSchema = z.string().min(10, 'Password must have at least 10 characters').max(256);

export const TimestampSchema = z.string().openapi({ example: '2026-01-01T00:00:00.000Z' });

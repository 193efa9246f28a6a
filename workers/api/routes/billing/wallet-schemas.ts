import { z } from '@hono/zod-openapi';
import { MetaSchema, PageQuerySchema, PaginationSchema, TimestampSchema } from '../../lib/schemas';

export const LedgerEntrySchema = z
  .object({
    id: z.string().openapi({ example: 'tle_5f2c8e1a9b3d4c7e8f0a1b2c3d4e5f6a' }),
    seq: z.number().int().openapi({ description: 'Order of the entry in the organization’s ledger' }),
    kind: z.enum(['grant', 'purchase', 'debit', 'refund']),
    amount: z
      .number()
      .int()
      .openapi({ description: 'Tokens: positive for grants, purchases, refunds; negative for debits' }),
    balance_after: z.number().int(),
    feature: z.string().nullable().openapi({ example: 'kb.answer' }),
    reference: z.string().nullable().openapi({ description: 'A reservation, an invoice, or a month’s allowance' }),
    note: z.string().nullable(),
    created_at: TimestampSchema,
  })
  .openapi('TokenLedgerEntry');

export const TokensSchema = z
  .object({
    plan: z.enum(['free', 'pro', 'enterprise']),
    balance: z.number().int().openapi({ description: 'Tokens the organization has (the ledger sums to it)' }),
    reserved: z.number().int().openapi({ description: 'Tokens held by operations under way' }),
    available: z.number().int().openapi({ description: 'balance − reserved: what a new operation may reserve' }),
    allowance: z.number().int().openapi({ description: 'The plan’s monthly tokens' }),
    allowance_source: z.enum(['grant', 'invoice']).openapi({
      description:
        '`grant`: the balance is topped up to the allowance each month; `invoice`: each paid invoice adds it',
    }),
    period_start: TimestampSchema,
    period_end: TimestampSchema,
    ledger: z.array(LedgerEntrySchema).openapi({ description: 'A page of the ledger, newest first' }),
  })
  .openapi('TokenWallet');

export const TokensResponseSchema = z.object({
  success: z.literal(true),
  data: TokensSchema,
  pagination: PaginationSchema,
  meta: MetaSchema,
});

export const TokensQuery = PageQuerySchema;

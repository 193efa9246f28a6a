import { listLedger } from '@flowspark/billing';
import { pagination, successBody } from '@flowspark/core';
import { walletView } from '../../../lib/wallet';
import { routeContext } from '../../lib/context';
import { defineRoute } from '../../lib/define-route';
import type { GroupApp } from '../../lib/group';
import { TokensQuery, TokensResponseSchema } from './wallet-schemas';

export const getTokensRoute = defineRoute(
  { scope: 'billing:read' },
  {
    method: 'get',
    path: '/billing/tokens',
    operationId: 'getTokens',
    tags: ['Billing'],
    summary: "The organization's token wallet and its ledger",
    description:
      'Every AI operation (document, presentation and image generation, knowledge-base answers, chat replies) ' +
      'reserves its estimate before the provider is asked and is debited its actual usage after; the rest of the ' +
      'reservation is free again at once. `available` is what a new operation may reserve: below its estimate the ' +
      'request is refused with 402 `INSUFFICIENT_TOKENS` (`details.required`, `details.available`). The ledger ' +
      '(grants, purchases, debits, refunds) is paged newest first and sums to `balance`.',
    request: { query: TokensQuery },
    responses: {
      200: { description: 'The wallet', content: { 'application/json': { schema: TokensResponseSchema } } },
    },
  },
);

export const registerGetTokens = (app: GroupApp) =>
  app.openapi(getTokensRoute, async (c) => {
    const { db, actor, env } = routeContext(c);
    const page = c.req.valid('query');
    // The wallet first: it writes what it owes D1 (a new month's grant) before the ledger is read.
    const wallet = await walletView(env, actor.orgId);
    const { items, total } = await listLedger(db, actor.orgId, page);
    const ledger = items.map((row) => ({
      id: row.id,
      seq: row.seq,
      kind: row.kind,
      amount: row.amount,
      balance_after: row.balanceAfter,
      feature: row.feature,
      reference: row.reference,
      note: row.note,
      created_at: row.createdAt,
    }));
    return c.json(
      {
        ...successBody(
          {
            plan: wallet.plan,
            balance: wallet.balance,
            reserved: wallet.reserved,
            available: wallet.available,
            allowance: wallet.allowance,
            allowance_source: wallet.allowance_source,
            period_start: wallet.period_start,
            period_end: wallet.period_end,
            ledger,
          },
          c.get('requestId'),
        ),
        pagination: pagination(page, total),
      },
      200,
    );
  });

// @flowspark/billing: plans, the token wallet (its state transitions; the TokenWallet object in
// workers/objects holds it), the ledger and usage events in D1, costs and quotas.
export * from './analytics';
export * from './costs';
export * from './ledger';
export * from './plans';
export * from './quotas';
export * from './subscriptions';
export * from './wallet';

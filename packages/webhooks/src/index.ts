// @flowspark/webhooks: outgoing webhooks — endpoints, URL safety, signing, deliveries and their retries.
export * from './endpoints';
export * from './signing';
export * from './url';

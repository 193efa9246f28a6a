export * from './client';
export * from './queries/api-key-auth';
export * from './queries/idempotency';
export * as schema from './schema';

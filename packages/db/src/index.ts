export * from './client';
export * from './errors';
export * from './paginate';
export * from './queries/api-key-auth';
export * from './queries/idempotency';
export * from './queries/live-credentials';
export * as schema from './schema';

export * from './backoff';
export * from './errors';
export * from './events';
export * from './jobs';
export * from './lifecycle';
export * from './present';
export * from './recovery';

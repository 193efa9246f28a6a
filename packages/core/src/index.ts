export * from './actor';
export * from './config';
export * from './envelope';
export * from './errors';
export * from './ids';
export * from './logger';
export * from './pagination';
export * from './scopes';

export * from './client';
export * from './confluence';
export * from './credentials';
export * from './integrations';
export * from './notion';
export * from './provider';
export * from './provider-http';
export * from './sync';

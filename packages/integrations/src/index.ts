export * from './credentials';
export * from './integrations';

export * from './templates';
export * from './files';

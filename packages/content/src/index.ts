export * from './documents';
export * from './files';
export * from './images';
export * from './templates';

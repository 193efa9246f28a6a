export * from './summaries';
export * from './templates';

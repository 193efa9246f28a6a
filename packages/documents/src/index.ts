// @flowspark/documents: generated documents and presentations with their versions, templates,
// generated images, and their R2 layout. Rows and domain values only: the API presents them.
export * from './document-changes';
export * from './document-reads';
export * from './document-types';
export * from './files';
export * from './generation';
export * from './generation-job';
export * from './image-bytes';
export * from './images';
export * from './template-files';
export * from './templates';

// @flowspark/kb: the knowledge base — documents, ingestion, chunks, search and answers. Rows and
// domain values only: the API presents them.
export * from './answer';
export * from './chunks';
export * from './documents';
export * from './hash';
export * from './ingest';
export * from './keyword-index';
export * from './search';
export * from './term-index';

// @flowspark/booklet: booklets (seed 003) — customers with dated attributes, uploads (PDFs and
// workbooks, checked by content), books of pages, and generated booklets.
export * from './books';
export * from './customers';
export * from './files';
export * from './inspect';
export * from './pages';
export * from './uploads';

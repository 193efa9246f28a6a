// @flowspark/booklet: booklets (seed 003) — customers with dated attributes and uploads (PDFs and
// workbooks, checked by content) so far.
export * from './customers';
export * from './inspect';
export * from './uploads';

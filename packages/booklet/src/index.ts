// @flowspark/booklet: booklets (seed 003) — uploads (PDFs and workbooks, checked by content) so far.
export * from './inspect';
export * from './uploads';

-- Keyword index of knowledge-base chunks (BM25 through bm25()). A standalone FTS5 table: the rows
-- are written and deleted together with kb_chunks in the same batch. `search_text` is the chunk
-- text prepared for the unicode61 tokenizer (CJK split into overlapping bigrams).
CREATE VIRTUAL TABLE `kb_chunks_fts` USING fts5(
	`search_text`,
	`chunk_id` UNINDEXED,
	`org_id` UNINDEXED,
	`document_id` UNINDEXED,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- The keyword index moved to one FTS5 index per organization (the KeywordIndex Durable Object), so
-- that a tenant's search cost and bm25 scores depend on its own chunks only. Each tenant's index is
-- backfilled from kb_chunks (the source of truth) on its first search or write, so the shared table
-- is no longer read or written.
DROP TABLE IF EXISTS `kb_chunks_fts`;

-- Full-text search of titles and abstracts for a muscle (BM25, best first), with the study facts.
-- Needs the fts extension loaded first (`evidence sql` loads it; see docs/warehouse.md).
SELECT pmid, year, score, title, relevant, design, condition, is_retracted
FROM search_articles('popliteus')
ORDER BY score DESC, TRY_CAST(pmid AS BIGINT), pmid;  -- the macro's own order: equal scores by PMID

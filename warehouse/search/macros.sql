-- The clinicians' search: BM25 over titles and abstracts, best first. Readers must load the fts
-- extension first (LOAD '<path of fts.duckdb_extension>'); see docs/warehouse.md.
-- Words are stemmed (English) and stop words dropped; an article matches when it has any of the words.
-- The order is the same every time: by the score rounded to 9 decimal places, then by PMID as a
-- number. match_bm25's sums depend on the order DuckDB's threads add their parts in, so scores that
-- are equal in exact arithmetic (articles with the same text, say) differ in their last bits (up to
-- ~1e-15 here) and swapped places between runs. 9 places is far above that and below the gaps
-- between scores that really differ (on the 10,000-article benchmark, seven queries: no two scores
-- 1e-14 to 1e-9 apart). The score shown is the rounded one the order uses.
CREATE OR REPLACE MACRO search_articles(q) AS TABLE
SELECT h.pmid, a.title, a.pub_year AS year, h.score,
       f.is_retracted, f.has_erratum, s.relevant, s.design, s.condition
FROM (SELECT pmid, round(fts_main_search_documents.match_bm25(pmid, q), 9) AS score FROM search_documents) h
JOIN articles a USING (pmid)
JOIN article_flags f USING (pmid)
LEFT JOIN studies s USING (pmid)
WHERE h.score IS NOT NULL
ORDER BY h.score DESC, TRY_CAST(h.pmid AS BIGINT) NULLS LAST, h.pmid;
COMMENT ON MACRO TABLE search_articles IS 'search_articles(''popliteus pain''): articles whose title or abstract has the words, best BM25 score (rounded to 9 decimal places) first, equal scores by PMID (LOAD the fts extension first)';

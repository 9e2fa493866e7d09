-- The clinicians' search: BM25 over titles and abstracts, best first. Readers must load the fts
-- extension first (LOAD '<path of fts.duckdb_extension>'); see docs/warehouse.md.
-- Words are stemmed (English) and stop words dropped; an article matches when it has any of the words.
CREATE OR REPLACE MACRO search_articles(q) AS TABLE
SELECT h.pmid, a.title, a.pub_year AS year, round(h.score, 4) AS score,
       f.is_retracted, f.has_erratum, s.relevant, s.design, s.condition
FROM (SELECT pmid, fts_main_search_documents.match_bm25(pmid, q) AS score FROM search_documents) h
JOIN articles a USING (pmid)
JOIN article_flags f USING (pmid)
LEFT JOIN studies s USING (pmid)
WHERE h.score IS NOT NULL
ORDER BY h.score DESC, h.pmid;
COMMENT ON MACRO TABLE search_articles IS 'search_articles(''popliteus pain''): articles whose title or abstract has the words, best BM25 score first (LOAD the fts extension first)';

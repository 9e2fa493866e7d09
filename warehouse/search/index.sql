-- Full-text index over titles and abstracts (BM25), rebuilt in the staging copy before each publish.
-- Needs the fts extension loaded (evidence.warehouse.search.load_fts loads it by path).
CREATE OR REPLACE TABLE search_documents AS
SELECT pmid, coalesce(title, '') AS title, coalesce(abstract, '') AS abstract
FROM articles WHERE NOT is_deleted;
COMMENT ON TABLE search_documents IS 'Text the full-text index covers (titles and abstracts of current articles); query it with search_articles(...)';
COMMENT ON COLUMN search_documents.pmid IS 'PubMed identifier';
COMMENT ON COLUMN search_documents.title IS 'Article title ('''' when PubMed has none)';
COMMENT ON COLUMN search_documents.abstract IS 'Abstract as plain text ('''' when PubMed has none)';
PRAGMA create_fts_index('search_documents', 'pmid', 'title', 'abstract', stemmer = 'english', stopwords = 'english', overwrite = 1);

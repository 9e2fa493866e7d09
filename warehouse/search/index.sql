-- Full-text index over titles and abstracts (BM25), rebuilt before each publish.
CREATE OR REPLACE TABLE search_documents AS
SELECT pmid, coalesce(title, '') AS title, coalesce(abstract, '') AS abstract
FROM articles WHERE NOT is_deleted;
COMMENT ON TABLE search_documents IS 'Text the full-text index covers (titles and abstracts of current articles)';
PRAGMA create_fts_index('search_documents', 'pmid', 'title', 'abstract', stemmer = 'english', stopwords = 'english', overwrite = 1);

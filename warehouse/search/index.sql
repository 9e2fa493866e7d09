-- Full-text index over titles and abstracts (BM25), rebuilt in the staging copy before each publish
-- (skipped when no title or abstract changed since the last build; see evidence.warehouse.search).
-- Needs the fts extension loaded (evidence.warehouse.search.load_fts loads it by path).
CREATE OR REPLACE TABLE search_documents (pmid VARCHAR, title VARCHAR, abstract VARCHAR);
COMMENT ON TABLE search_documents IS 'Text the full-text index covers (titles and abstracts of current articles); query it with search_articles(...)';
COMMENT ON COLUMN search_documents.pmid IS 'PubMed identifier';
COMMENT ON COLUMN search_documents.title IS 'Article title ('''' when PubMed has none)';
COMMENT ON COLUMN search_documents.abstract IS 'Abstract as plain text ('''' when PubMed has none)';
-- The extension builds the index's schema, stop words, tokenizer and match_bm25 on the empty table;
-- the tables are then filled below with the same content it would compute, but each distinct word
-- is stemmed once (not every occurrence) and no table is rewritten by UPDATE/ALTER: ~4x faster
-- and a fraction of the memory at 100,000 articles. tests/test_workers.py checks the scores agree.
PRAGMA create_fts_index('search_documents', 'pmid', 'title', 'abstract', stemmer = 'english', stopwords = 'english', overwrite = 1);
INSERT INTO search_documents
SELECT pmid, coalesce(title, '') AS title, coalesce(abstract, '') AS abstract
FROM articles WHERE NOT is_deleted;
-- The extension's own tokenize(s) is string_split_regex(regexp_replace(lower(strip_accents(s)),
-- '[0-9!@#$%^&*()_+={}\[\]:;<>,.?~\\/\|''"`-]+', ' '), '\s+'). fts_fast_tokenize gives the same words
-- in about half the time at 100,000 articles: strip_accents only where the text is not plain ASCII
-- (on ASCII it changes nothing), and translate maps every character of that class, and the
-- whitespace \s stands for, to ' ' (a character map, not a regex), so a plain split on ' ' replaces
-- both regexes; the empty words that leaves are dropped below, as before.
-- tests/test_workers.py compares the index and its scores with the extension's own build.
CREATE OR REPLACE TEMP MACRO fts_separators() AS '0123456789!@#$%^&*()_+={}[]:;<>,.?~\/|''"`-' || chr(9) || chr(10) || chr(12) || chr(13);
CREATE OR REPLACE TEMP MACRO fts_fast_tokenize(s) AS string_split(translate(
    CASE WHEN strlen(s) = length(s) THEN lower(s) ELSE lower(strip_accents(s)) END,
    fts_separators(), repeat(' ', length(fts_separators()))), ' ');
CREATE OR REPLACE TEMP TABLE fts_words AS
SELECT docid, fieldid, w FROM (
    SELECT d.rowid AS docid, f.fieldid, unnest(fts_fast_tokenize(d.title)) AS w
    FROM search_documents d, fts_main_search_documents.fields f WHERE f.field = 'title'
    UNION ALL
    SELECT d.rowid AS docid, f.fieldid, unnest(fts_fast_tokenize(d.abstract)) AS w
    FROM search_documents d, fts_main_search_documents.fields f WHERE f.field = 'abstract'
) WHERE w IS NOT NULL AND len(w) > 0;
CREATE OR REPLACE TEMP TABLE fts_vocab AS
SELECT w, stem(w, 'english') AS term
FROM (SELECT DISTINCT w FROM fts_words)
WHERE w NOT IN (SELECT sw FROM fts_main_search_documents.stopwords);
CREATE OR REPLACE TEMP TABLE fts_dict AS
SELECT row_number() OVER (ORDER BY term) - 1 AS termid, term FROM (SELECT DISTINCT term FROM fts_vocab);
DELETE FROM fts_main_search_documents.terms;
INSERT INTO fts_main_search_documents.terms (docid, fieldid, termid)
SELECT x.docid, x.fieldid, d.termid
FROM fts_words x JOIN fts_vocab v USING (w) JOIN fts_dict d USING (term);
DELETE FROM fts_main_search_documents.dict;
INSERT INTO fts_main_search_documents.dict (termid, term, df)
SELECT d.termid, d.term, c.df
FROM fts_dict d JOIN (SELECT termid, count(DISTINCT docid) AS df FROM fts_main_search_documents.terms GROUP BY termid) c USING (termid);
DELETE FROM fts_main_search_documents.docs;
INSERT INTO fts_main_search_documents.docs (docid, name, len)
SELECT s.rowid, s.pmid, coalesce(c.len, 0)
FROM search_documents s LEFT JOIN (SELECT docid, count(*) AS len FROM fts_main_search_documents.terms GROUP BY docid) c
     ON c.docid = s.rowid;
DELETE FROM fts_main_search_documents.stats;
INSERT INTO fts_main_search_documents.stats (num_docs, avgdl)
SELECT count(docid), sum(len) / count(len) FROM fts_main_search_documents.docs;
DROP TABLE fts_words;
DROP TABLE fts_vocab;
DROP TABLE fts_dict;
DROP MACRO fts_fast_tokenize;
DROP MACRO fts_separators;

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
-- '[0-9!@#$%^&*()_+={}\[\]:;<>,.?~\\/\|''"`-]+', ' '), '\s+'), empty words dropped. Here the text is
-- cut into pieces at the ASCII characters of that class and those \s stands for, with a character
-- map (translate: every one of them to ' ') and a plain split; lower and strip_accents change no
-- ASCII character and act on each character alone (marks are only ever moved among marks, and an
-- ASCII character is never one), so tokenizing each piece alone gives the same words in the same
-- order. Only the distinct pieces are tokenized: a plain-ASCII piece is one word, lower(p); any
-- other goes through the extension's steps (fts_fast_tokenize: strip_accents can make separators,
-- e.g. U+2260 becomes '=' and a mark), which may give no word or several.
-- tests/test_workers.py compares the index and its scores with the extension's own build, and the
-- pieces' words with its tokenize over the characters of the Basic Multilingual Plane.
CREATE OR REPLACE TEMP MACRO fts_separators() AS '0123456789!@#$%^&*()_+={}[]:;<>,.?~\/|''"`-' || chr(9) || chr(10) || chr(12) || chr(13);
CREATE OR REPLACE TEMP MACRO fts_spaced(s) AS translate(s, fts_separators(), repeat(' ', length(fts_separators())));
CREATE OR REPLACE TEMP MACRO fts_fast_tokenize(s) AS string_split(fts_spaced(
    CASE WHEN strlen(s) = length(s) THEN lower(s) ELSE lower(strip_accents(s)) END), ' ');
-- Every text with its separators made spaces, one row per document and field: the two passes below
-- (the distinct pieces, then the terms) read it instead of translating search_documents twice, or
-- keeping a row per word (22 million strings at 100,000 articles), which cost more.
CREATE OR REPLACE TEMP TABLE fts_text AS
SELECT d.rowid AS docid, f.fieldid, fts_spaced(d.title) AS text
FROM search_documents d, fts_main_search_documents.fields f WHERE f.field = 'title'
UNION ALL
SELECT d.rowid AS docid, f.fieldid, fts_spaced(d.abstract) AS text
FROM search_documents d, fts_main_search_documents.fields f WHERE f.field = 'abstract';
CREATE OR REPLACE TEMP VIEW fts_pieces AS
SELECT docid, fieldid, unnest(string_split(text, ' ')) AS piece FROM fts_text;
-- one row per word of each distinct piece, in order and with repeats (a piece may hold a word twice)
CREATE OR REPLACE TEMP TABLE fts_piece_words AS
SELECT piece, w FROM (
    SELECT piece, unnest(CASE WHEN strlen(piece) = length(piece) THEN [lower(piece)] ELSE fts_fast_tokenize(piece) END) AS w
    FROM (SELECT DISTINCT piece FROM fts_pieces WHERE piece <> '')
) WHERE len(w) > 0;
CREATE OR REPLACE TEMP TABLE fts_vocab AS
SELECT w, stem(w, 'english') AS term
FROM (SELECT DISTINCT w FROM fts_piece_words)
WHERE w NOT IN (SELECT sw FROM fts_main_search_documents.stopwords);
CREATE OR REPLACE TEMP TABLE fts_dict AS
SELECT row_number() OVER (ORDER BY term) - 1 AS termid, term FROM (SELECT DISTINCT term FROM fts_vocab);
-- each piece's terms (none for stop words and empty words, several when it holds several words)
CREATE OR REPLACE TEMP TABLE fts_piece_terms AS
SELECT p.piece, d.termid FROM fts_piece_words p JOIN fts_vocab v USING (w) JOIN fts_dict d USING (term);
DELETE FROM fts_main_search_documents.terms;
INSERT INTO fts_main_search_documents.terms (docid, fieldid, termid)
SELECT x.docid, x.fieldid, t.termid FROM fts_pieces x JOIN fts_piece_terms t USING (piece);
DELETE FROM fts_main_search_documents.dict;
-- df counts distinct (term, document) pairs: the DISTINCT runs on every thread, count(DISTINCT) on one
INSERT INTO fts_main_search_documents.dict (termid, term, df)
SELECT d.termid, d.term, c.df
FROM fts_dict d JOIN (SELECT termid, count(*) AS df FROM (SELECT DISTINCT termid, docid FROM fts_main_search_documents.terms)
                      GROUP BY termid) c USING (termid);
DELETE FROM fts_main_search_documents.docs;
INSERT INTO fts_main_search_documents.docs (docid, name, len)
SELECT s.rowid, s.pmid, coalesce(c.len, 0)
FROM search_documents s LEFT JOIN (SELECT docid, count(*) AS len FROM fts_main_search_documents.terms GROUP BY docid) c
     ON c.docid = s.rowid;
DELETE FROM fts_main_search_documents.stats;
INSERT INTO fts_main_search_documents.stats (num_docs, avgdl)
SELECT count(docid), sum(len) / count(len) FROM fts_main_search_documents.docs;
DROP VIEW fts_pieces;
DROP TABLE fts_text;
DROP TABLE fts_piece_terms;
DROP TABLE fts_piece_words;
DROP TABLE fts_vocab;
DROP TABLE fts_dict;
DROP MACRO fts_fast_tokenize;
DROP MACRO fts_spaced;
DROP MACRO fts_separators;

-- Core tables: one row per PubMed article and its parts, the runs that loaded them, the raw files.
-- Applied in file-name order; every statement is idempotent (IF NOT EXISTS).

CREATE TABLE IF NOT EXISTS articles (
    pmid VARCHAR PRIMARY KEY,
    version INTEGER NOT NULL,
    title VARCHAR,
    vernacular_title VARCHAR,
    abstract VARCHAR,
    copyright VARCHAR,
    language VARCHAR,
    journal_title VARCHAR,
    journal_iso VARCHAR,
    issn VARCHAR,
    issn_linking VARCHAR,
    nlm_unique_id VARCHAR,
    journal_country VARCHAR,
    volume VARCHAR,
    issue VARCHAR,
    pages VARCHAR,
    pub_year INTEGER,
    pub_month INTEGER,
    pub_day INTEGER,
    pub_date DATE,
    pub_date_text VARCHAR,
    article_date DATE,
    entrez_date DATE,
    pubmed_date DATE,
    doi VARCHAR,
    pmc VARCHAR,
    pii VARCHAR,
    citation_status VARCHAR,
    indexing_method VARCHAR,
    owner VARCHAR,
    publication_status VARCHAR,
    date_completed DATE,
    date_revised DATE,
    is_retracted BOOLEAN NOT NULL DEFAULT false,
    is_notice BOOLEAN NOT NULL DEFAULT false,
    has_erratum BOOLEAN NOT NULL DEFAULT false,
    content_hash VARCHAR NOT NULL,
    facet_hashes STRUCT(citation VARCHAR, abstract VARCHAR, authors VARCHAR, mesh VARCHAR,
                        publication_types VARCHAR, corrections VARCHAR, ids VARCHAR),
    is_deleted BOOLEAN NOT NULL DEFAULT false,
    first_run_id VARCHAR,
    last_changed_run_id VARCHAR,
    first_seen_at TIMESTAMP,
    last_changed_at TIMESTAMP
);
COMMENT ON TABLE articles IS 'One row per PubMed article (PMID), its latest version; deleted PMIDs stay, flagged.';
COMMENT ON COLUMN articles.pmid IS 'PubMed identifier';
COMMENT ON COLUMN articles.version IS 'PMID version (PubMed <PMID Version>); a newer version replaces the older';
COMMENT ON COLUMN articles.title IS 'Article title, inline markup flattened to text (null when PubMed has none)';
COMMENT ON COLUMN articles.vernacular_title IS 'Title in the original language, when given';
COMMENT ON COLUMN articles.abstract IS 'Abstract as plain text, sections joined in order (see abstract_sections)';
COMMENT ON COLUMN articles.copyright IS 'Copyright statement of the abstract';
COMMENT ON COLUMN articles.language IS 'First language code of the article (eng, spa, ...)';
COMMENT ON COLUMN articles.journal_title IS 'Journal full title';
COMMENT ON COLUMN articles.journal_iso IS 'Journal ISO abbreviation';
COMMENT ON COLUMN articles.issn IS 'Journal ISSN (print or electronic, as given)';
COMMENT ON COLUMN articles.issn_linking IS 'Linking ISSN from MedlineJournalInfo';
COMMENT ON COLUMN articles.nlm_unique_id IS 'NLM catalogue id of the journal';
COMMENT ON COLUMN articles.journal_country IS 'Country of the journal publisher';
COMMENT ON COLUMN articles.volume IS 'Journal volume';
COMMENT ON COLUMN articles.issue IS 'Journal issue';
COMMENT ON COLUMN articles.pages IS 'Pages (MedlinePgn) or electronic location';
COMMENT ON COLUMN articles.pub_year IS 'Publication year (from PubDate or MedlineDate); null when no date can have it (0, 10000, ...)';
COMMENT ON COLUMN articles.pub_month IS 'Publication month 1-12 (seasons: spring 3, summer 6, autumn 9, winter 12)';
COMMENT ON COLUMN articles.pub_day IS 'Publication day of month when given (null unless 1-31)';
COMMENT ON COLUMN articles.pub_date IS 'Publication date normalised to a date (missing or impossible month/day -> 1; null without a possible year)';
COMMENT ON COLUMN articles.pub_date_text IS 'Publication date as written (e.g. 2019 Nov-Dec, Summer 2018)';
COMMENT ON COLUMN articles.article_date IS 'Electronic publication date (ArticleDate)';
COMMENT ON COLUMN articles.entrez_date IS 'Date the record entered PubMed (History entrez)';
COMMENT ON COLUMN articles.pubmed_date IS 'PubMed date (History pubmed)';
COMMENT ON COLUMN articles.doi IS 'Digital Object Identifier';
COMMENT ON COLUMN articles.pmc IS 'PubMed Central id (PMC...) when free full text exists';
COMMENT ON COLUMN articles.pii IS 'Publisher item identifier';
COMMENT ON COLUMN articles.citation_status IS 'MedlineCitation Status: MEDLINE, PubMed-not-MEDLINE, In-Process, In-Data-Review, Publisher';
COMMENT ON COLUMN articles.indexing_method IS 'How MeSH was assigned: Automated, Curated, or null (manual)';
COMMENT ON COLUMN articles.owner IS 'Owner of the citation (NLM, PIP, ...)';
COMMENT ON COLUMN articles.publication_status IS 'ppublish, epublish, aheadofprint';
COMMENT ON COLUMN articles.date_completed IS 'Date NLM completed indexing';
COMMENT ON COLUMN articles.date_revised IS 'Date the citation was last revised at NLM';
COMMENT ON COLUMN articles.is_retracted IS 'True when PubMed marks it Retracted Publication or links a RetractionIn notice';
COMMENT ON COLUMN articles.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';
COMMENT ON COLUMN articles.has_erratum IS 'True when an erratum (ErratumIn) is linked';
COMMENT ON COLUMN articles.content_hash IS 'Hash of the parsed record; a change means a new article version row';
COMMENT ON COLUMN articles.facet_hashes IS 'Hashes of parts of the record (citation, abstract, authors, mesh, publication_types, corrections, ids) to tell what changed';
COMMENT ON COLUMN articles.is_deleted IS 'True when PubMed withdrew the PMID (DeleteCitation); the row is kept';
COMMENT ON COLUMN articles.first_run_id IS 'Run that first loaded the article';
COMMENT ON COLUMN articles.last_changed_run_id IS 'Run that last changed the article';
COMMENT ON COLUMN articles.first_seen_at IS 'When the article was first loaded (UTC)';
COMMENT ON COLUMN articles.last_changed_at IS 'When the article last changed (UTC)';

CREATE TABLE IF NOT EXISTS abstract_sections (
    pmid VARCHAR NOT NULL, position INTEGER NOT NULL, label VARCHAR, category VARCHAR, text VARCHAR);
COMMENT ON TABLE abstract_sections IS 'Abstract sections in order, with their labels (BACKGROUND, METHODS, ...)';
COMMENT ON COLUMN abstract_sections.pmid IS 'PubMed identifier';
COMMENT ON COLUMN abstract_sections.position IS 'Order of the section in the abstract, from 1';
COMMENT ON COLUMN abstract_sections.label IS 'Section label as printed (e.g. RESULTS)';
COMMENT ON COLUMN abstract_sections.category IS 'NLM category: BACKGROUND, OBJECTIVE, METHODS, RESULTS, CONCLUSIONS, UNASSIGNED';
COMMENT ON COLUMN abstract_sections.text IS 'Section text, inline markup flattened';

CREATE TABLE IF NOT EXISTS authors (
    pmid VARCHAR NOT NULL, position INTEGER NOT NULL, last_name VARCHAR, fore_name VARCHAR, initials VARCHAR,
    suffix VARCHAR, collective_name VARCHAR, orcid VARCHAR, affiliations VARCHAR[], equal_contrib BOOLEAN);
COMMENT ON TABLE authors IS 'Authors of each article in byline order';
COMMENT ON COLUMN authors.pmid IS 'PubMed identifier';
COMMENT ON COLUMN authors.position IS 'Position in the author list, from 1';
COMMENT ON COLUMN authors.last_name IS 'Family name';
COMMENT ON COLUMN authors.fore_name IS 'Given names';
COMMENT ON COLUMN authors.initials IS 'Initials of the given names';
COMMENT ON COLUMN authors.suffix IS 'Name suffix (Jr, 3rd)';
COMMENT ON COLUMN authors.collective_name IS 'Group author name (instead of a person)';
COMMENT ON COLUMN authors.orcid IS 'ORCID identifier when given';
COMMENT ON COLUMN authors.affiliations IS 'Affiliations as written';
COMMENT ON COLUMN authors.equal_contrib IS 'Marked as equal contributor';

CREATE TABLE IF NOT EXISTS publication_types (pmid VARCHAR NOT NULL, ui VARCHAR, name VARCHAR);
COMMENT ON TABLE publication_types IS 'PubMed publication types of each article (Randomized Controlled Trial, Review, ...)';
COMMENT ON COLUMN publication_types.pmid IS 'PubMed identifier';
COMMENT ON COLUMN publication_types.ui IS 'MeSH unique id of the publication type';
COMMENT ON COLUMN publication_types.name IS 'Publication type name';

CREATE TABLE IF NOT EXISTS mesh_terms (
    pmid VARCHAR NOT NULL, descriptor VARCHAR, descriptor_ui VARCHAR, major BOOLEAN,
    qualifiers VARCHAR[], major_qualifiers VARCHAR[]);
COMMENT ON TABLE mesh_terms IS 'MeSH headings of each article with qualifiers';
COMMENT ON COLUMN mesh_terms.pmid IS 'PubMed identifier';
COMMENT ON COLUMN mesh_terms.descriptor IS 'MeSH descriptor name (e.g. Dry Needling)';
COMMENT ON COLUMN mesh_terms.descriptor_ui IS 'MeSH descriptor unique id';
COMMENT ON COLUMN mesh_terms.major IS 'Descriptor marked as a major topic';
COMMENT ON COLUMN mesh_terms.qualifiers IS 'Qualifier names (therapy, methods, ...)';
COMMENT ON COLUMN mesh_terms.major_qualifiers IS 'Qualifiers marked as major topic';

CREATE TABLE IF NOT EXISTS keywords (pmid VARCHAR NOT NULL, keyword VARCHAR, major BOOLEAN, owner VARCHAR);
COMMENT ON TABLE keywords IS 'Author or NLM keywords of each article';
COMMENT ON COLUMN keywords.pmid IS 'PubMed identifier';
COMMENT ON COLUMN keywords.keyword IS 'Keyword as written';
COMMENT ON COLUMN keywords.major IS 'Marked as major topic';
COMMENT ON COLUMN keywords.owner IS 'Who supplied the keyword list (NOTNLM = authors)';

CREATE TABLE IF NOT EXISTS chemicals (pmid VARCHAR NOT NULL, name VARCHAR, ui VARCHAR, registry_number VARCHAR);
COMMENT ON TABLE chemicals IS 'Substances indexed for each article (ChemicalList)';
COMMENT ON COLUMN chemicals.pmid IS 'PubMed identifier';
COMMENT ON COLUMN chemicals.name IS 'Substance name';
COMMENT ON COLUMN chemicals.ui IS 'MeSH unique id of the substance';
COMMENT ON COLUMN chemicals.registry_number IS 'CAS or other registry number';

CREATE TABLE IF NOT EXISTS grants (pmid VARCHAR NOT NULL, grant_id VARCHAR, acronym VARCHAR, agency VARCHAR, country VARCHAR);
COMMENT ON TABLE grants IS 'Funding of each article (GrantList)';
COMMENT ON COLUMN grants.pmid IS 'PubMed identifier';
COMMENT ON COLUMN grants.grant_id IS 'Grant number';
COMMENT ON COLUMN grants.acronym IS 'Funder acronym';
COMMENT ON COLUMN grants.agency IS 'Funding agency';
COMMENT ON COLUMN grants.country IS 'Country of the agency';

CREATE TABLE IF NOT EXISTS article_ids (pmid VARCHAR NOT NULL, id_type VARCHAR, value VARCHAR);
COMMENT ON TABLE article_ids IS 'Identifiers of each article (pubmed, doi, pmc, pii, ...)';
COMMENT ON COLUMN article_ids.pmid IS 'PubMed identifier';
COMMENT ON COLUMN article_ids.id_type IS 'Identifier type (doi, pmc, pii, pubmed, mid)';
COMMENT ON COLUMN article_ids.value IS 'Identifier value';

CREATE TABLE IF NOT EXISTS databanks (pmid VARCHAR NOT NULL, bank VARCHAR, accession VARCHAR);
COMMENT ON TABLE databanks IS 'Registry and data bank numbers PubMed lists (ClinicalTrials.gov, ISRCTN, ...)';
COMMENT ON COLUMN databanks.pmid IS 'PubMed identifier';
COMMENT ON COLUMN databanks.bank IS 'Data bank name (ClinicalTrials.gov, ISRCTN, ...)';
COMMENT ON COLUMN databanks.accession IS 'Accession number (e.g. NCT01234567)';

CREATE TABLE IF NOT EXISTS comments_corrections (pmid VARCHAR NOT NULL, ref_type VARCHAR, ref_pmid VARCHAR, ref_source VARCHAR);
COMMENT ON TABLE comments_corrections IS 'Links to retractions, errata, updates and comments (CommentsCorrections)';
COMMENT ON COLUMN comments_corrections.pmid IS 'PubMed identifier of the article carrying the link';
COMMENT ON COLUMN comments_corrections.ref_type IS 'RetractionIn, RetractionOf, ErratumIn, ErratumFor, UpdateIn, UpdateOf, CommentIn, CommentOn, ...';
COMMENT ON COLUMN comments_corrections.ref_pmid IS 'PMID of the linked article, when PubMed gives one';
COMMENT ON COLUMN comments_corrections.ref_source IS 'Citation of the linked article as written';

CREATE TABLE IF NOT EXISTS history_dates (pmid VARCHAR NOT NULL, status VARCHAR, date DATE);
COMMENT ON TABLE history_dates IS 'PubMed history dates of each article (received, accepted, revised, entrez, pubmed, medline)';
COMMENT ON COLUMN history_dates.pmid IS 'PubMed identifier';
COMMENT ON COLUMN history_dates.status IS 'Which date: received, revised, accepted, entrez, pubmed, medline, pmc-release';
COMMENT ON COLUMN history_dates.date IS 'The date';

CREATE TABLE IF NOT EXISTS article_versions (
    pmid VARCHAR NOT NULL, version INTEGER, change VARCHAR NOT NULL, changed_parts VARCHAR[],
    content_hash VARCHAR, run_id VARCHAR, recorded_at TIMESTAMP);
COMMENT ON TABLE article_versions IS 'History: one row each time an article was added, changed or deleted';
COMMENT ON COLUMN article_versions.pmid IS 'PubMed identifier';
COMMENT ON COLUMN article_versions.version IS 'PMID version at that time';
COMMENT ON COLUMN article_versions.change IS 'new, updated or deleted';
COMMENT ON COLUMN article_versions.changed_parts IS 'For updates: which parts changed (citation, abstract, authors, mesh, publication_types, corrections, ids, version)';
COMMENT ON COLUMN article_versions.content_hash IS 'Hash of the record as loaded';
COMMENT ON COLUMN article_versions.run_id IS 'Run that saw the change';
COMMENT ON COLUMN article_versions.recorded_at IS 'When the change was recorded (UTC)';

CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY, kind VARCHAR, status VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
    mode VARCHAR, query VARCHAR, window_start DATE, window_end DATE,
    searched INTEGER, fetched INTEGER, new INTEGER, updated INTEGER, unchanged INTEGER, deleted INTEGER,
    requests INTEGER, errors INTEGER, last_stage VARCHAR, message VARCHAR, extractor_version VARCHAR);
COMMENT ON TABLE runs IS 'One row per run (nightly run, ingest, rebuild), including runs that crashed';
COMMENT ON COLUMN runs.run_id IS 'Run identifier (UTC start time and a random suffix)';
COMMENT ON COLUMN runs.kind IS 'run, ingest or rebuild';
COMMENT ON COLUMN runs.status IS 'success, failed, or interrupted (the process died; found by the next run)';
COMMENT ON COLUMN runs.started_at IS 'Start (UTC)';
COMMENT ON COLUMN runs.finished_at IS 'End (UTC)';
COMMENT ON COLUMN runs.mode IS 'replay (offline snapshot), live (NCBI) or file';
COMMENT ON COLUMN runs.query IS 'PubMed query sent, with its date window';
COMMENT ON COLUMN runs.window_start IS 'First date of the search window (null = everything)';
COMMENT ON COLUMN runs.window_end IS 'Last date of the search window';
COMMENT ON COLUMN runs.searched IS 'Records the search reported';
COMMENT ON COLUMN runs.fetched IS 'Records fetched and landed';
COMMENT ON COLUMN runs.new IS 'Articles added';
COMMENT ON COLUMN runs.updated IS 'Articles changed';
COMMENT ON COLUMN runs.unchanged IS 'Articles fetched again with no change';
COMMENT ON COLUMN runs.deleted IS 'Articles PubMed withdrew';
COMMENT ON COLUMN runs.requests IS 'E-utilities requests made';
COMMENT ON COLUMN runs.errors IS 'Errors met (retried or fatal)';
COMMENT ON COLUMN runs.last_stage IS 'Last stage reached: search, fetch, load, publish, done';
COMMENT ON COLUMN runs.message IS 'Summary or error message';
COMMENT ON COLUMN runs.extractor_version IS 'Extractor version that produced the studies';

CREATE TABLE IF NOT EXISTS raw_files (
    path VARCHAR PRIMARY KEY, run_id VARCHAR, batch INTEGER, records INTEGER, bytes BIGINT,
    sha256 VARCHAR, loaded_run_id VARCHAR, loaded_at TIMESTAMP);
COMMENT ON TABLE raw_files IS 'Raw landing: every efetch body or ingested file kept (zstd; gzip before) and loaded';
COMMENT ON COLUMN raw_files.path IS 'Path of the .xml.zst file (.xml.gz if landed before zstd), relative to the raw folder';
COMMENT ON COLUMN raw_files.run_id IS 'Run that landed it';
COMMENT ON COLUMN raw_files.batch IS 'Batch number within the run';
COMMENT ON COLUMN raw_files.records IS 'PubMed records in the file: its PubmedArticle and PubmedBookArticle elements (any the load skipped included) and the PMIDs its DeleteCitation elements list; NULL for a file loaded by a version of evidence that did not count them, until the next rebuild';
COMMENT ON COLUMN raw_files.bytes IS 'Size of its XML (uncompressed) in bytes; NULL for a file loaded by a version of evidence that did not record it, until the next rebuild';
COMMENT ON COLUMN raw_files.sha256 IS 'SHA-256 (hex) of its XML (uncompressed), as landed; evidence rebuild refuses the file if it no longer matches. NULL for a file loaded by a version of evidence that did not record it, until the next rebuild records it';
COMMENT ON COLUMN raw_files.loaded_run_id IS 'Run that loaded it into the warehouse';
COMMENT ON COLUMN raw_files.loaded_at IS 'When it was loaded (UTC)';

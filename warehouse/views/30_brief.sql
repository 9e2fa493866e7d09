-- Views behind the evidence briefs (src/evidence/brief): the few details a study card needs that
-- relevant_studies does not hold. Each view's comments follow it (CREATE OR REPLACE drops them).

CREATE OR REPLACE VIEW brief_details AS
SELECT r.pmid,
       a.abstract IS NULL OR trim(a.abstract) = '' AS abstract_missing,
       a.abstract IS NOT NULL AND trim(a.abstract) <> ''
         AND NOT regexp_matches(rtrim(a.abstract), '[.!?)\]"”’]$') AS abstract_cut_short,
       (SELECT count(*) FROM authors au WHERE au.pmid = r.pmid) AS author_count,
       s.direction_source AS key_sentence_source,
       s.comparator_source AS comparator_sentence_source,
       s.adverse_events_source AS adverse_events_sentence_source
FROM relevant_studies r JOIN articles a USING (pmid) JOIN studies s USING (pmid);
COMMENT ON VIEW brief_details IS 'Per relevant study, what a brief''s study card needs beyond relevant_studies: whether the abstract is missing or seems cut short, and the number of authors';
COMMENT ON COLUMN brief_details.pmid IS 'PubMed identifier';
COMMENT ON COLUMN brief_details.abstract_missing IS 'True when PubMed gives no abstract (facts come from the title and PubMed fields only)';
COMMENT ON COLUMN brief_details.abstract_cut_short IS 'True when the abstract does not end with a full stop, question mark or closing bracket (the text may stop early)';
COMMENT ON COLUMN brief_details.author_count IS 'Number of authors PubMed lists (0 when none are given)';
COMMENT ON COLUMN brief_details.key_sentence_source IS 'Where the key sentence (the result) was read from: abstract, title, or a PubMed field';
COMMENT ON COLUMN brief_details.comparator_sentence_source IS 'Where the comparator sentence was read from: abstract, title, or a PubMed field';
COMMENT ON COLUMN brief_details.adverse_events_sentence_source IS 'Where the side-effects sentence was read from: abstract, title, or a PubMed field';

CREATE OR REPLACE VIEW brief_authors AS
SELECT au.pmid, au.position,
       coalesce(au.last_name || coalesce(' ' || au.initials, ''), au.collective_name) AS name
FROM authors au JOIN relevant_studies r USING (pmid)
WHERE coalesce(au.last_name, au.collective_name) IS NOT NULL;
COMMENT ON VIEW brief_authors IS 'Authors of the relevant studies in byline order, written for a Vancouver citation (family name and initials, or the group name)';
COMMENT ON COLUMN brief_authors.pmid IS 'PubMed identifier';
COMMENT ON COLUMN brief_authors.position IS 'Position in the author list, from 1';
COMMENT ON COLUMN brief_authors.name IS 'Family name and initials (e.g. Smith JA), or the group author''s name';

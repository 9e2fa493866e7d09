-- Views for the common questions. Briefs and the dashboard read these, never the tables.
-- Every view and every view column carries a COMMENT (see `evidence schema`); CREATE OR REPLACE
-- drops a view's comments, so each view's comments follow it in this file.

-- Retraction and erratum flags, from the article itself or from a notice in the warehouse that
-- points at it (PubMed sometimes links only one side).
CREATE OR REPLACE VIEW article_flags AS
SELECT a.pmid,
       a.is_retracted OR coalesce(n.retracted_by IS NOT NULL, false) AS is_retracted,
       a.has_erratum OR coalesce(n.corrected_by IS NOT NULL, false) AS has_erratum,
       a.is_notice
FROM articles a
LEFT JOIN (
    SELECT c.ref_pmid AS pmid,
           min(c.pmid) FILTER (WHERE c.ref_type = 'RetractionOf') AS retracted_by,
           min(c.pmid) FILTER (WHERE c.ref_type = 'ErratumFor') AS corrected_by
    FROM comments_corrections c JOIN articles na ON na.pmid = c.pmid AND NOT na.is_deleted
    WHERE c.ref_type IN ('RetractionOf', 'ErratumFor') AND c.ref_pmid IS NOT NULL
    GROUP BY c.ref_pmid
) n USING (pmid);
COMMENT ON VIEW article_flags IS 'Retraction, erratum and notice flags of every article, counting links from either side (the article or its notice)';
COMMENT ON COLUMN article_flags.pmid IS 'PubMed identifier';
COMMENT ON COLUMN article_flags.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN article_flags.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';
COMMENT ON COLUMN article_flags.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';

-- Every article with its extracted facts and citation details (relevant or not).
CREATE OR REPLACE VIEW all_studies AS
SELECT s.pmid, s.relevant, a.title, a.journal_title AS journal, a.journal_iso, a.volume, a.issue, a.pages,
       a.pub_year AS year, a.pub_date, a.pub_date_text, a.doi, a.pmc, a.language,
       (SELECT string_agg(coalesce(au.last_name || coalesce(' ' || au.initials, ''), au.collective_name), ', '
                          ORDER BY au.position)
          FROM authors au WHERE au.pmid = s.pmid) AS authors,
       f.is_retracted, f.has_erratum, f.is_notice,
       s.design,
       CASE WHEN s.design IN ('rct', 'pilot_rct', 'crossover_rct') THEN 'randomised trial'
            WHEN s.design IN ('systematic_review', 'meta_analysis') THEN 'systematic review'
            WHEN s.design = 'protocol' THEN 'protocol'
            WHEN s.design IS NULL THEN 'unknown'
            ELSE 'other study' END AS design_group,
       s.sample_size, s.n_studies, s.groups, s.condition, s.intervention, s.comparator, s.muscles,
       s.treatment_duration_weeks, s.max_follow_up_weeks, s.follow_up_points,
       s.outcome_instruments, s.outcome_domains, s.adverse_events, s.direction, s.registration, s.certainty,
       s.direction_span AS key_sentence, s.adverse_events_span AS adverse_events_sentence,
       s.sample_size_span AS sample_size_sentence, s.max_follow_up_weeks_span AS follow_up_sentence,
       s.comparator_span AS comparator_sentence,
       s.extractor_version, a.entrez_date, a.first_seen_at, a.last_changed_at,
       'https://pubmed.ncbi.nlm.nih.gov/' || s.pmid || '/' AS pubmed_url
FROM studies s JOIN articles a USING (pmid) JOIN article_flags f USING (pmid)
WHERE NOT a.is_deleted;
COMMENT ON VIEW all_studies IS 'Every current article with its extracted study facts and citation (relevant or not; see relevant)';
COMMENT ON COLUMN all_studies.pmid IS 'PubMed identifier';
COMMENT ON COLUMN all_studies.relevant IS 'True when the study is about dry needling for a knee condition (extracted; see studies.relevant)';
COMMENT ON COLUMN all_studies.title IS 'Article title';
COMMENT ON COLUMN all_studies.journal IS 'Journal full title';
COMMENT ON COLUMN all_studies.journal_iso IS 'Journal ISO abbreviation';
COMMENT ON COLUMN all_studies.volume IS 'Journal volume';
COMMENT ON COLUMN all_studies.issue IS 'Journal issue';
COMMENT ON COLUMN all_studies.pages IS 'Pages or electronic location';
COMMENT ON COLUMN all_studies.year IS 'Publication year';
COMMENT ON COLUMN all_studies.pub_date IS 'Publication date (missing or impossible month/day -> 1; null without a possible year)';
COMMENT ON COLUMN all_studies.pub_date_text IS 'Publication date as written';
COMMENT ON COLUMN all_studies.doi IS 'Digital Object Identifier';
COMMENT ON COLUMN all_studies.pmc IS 'PubMed Central id when free full text exists';
COMMENT ON COLUMN all_studies.language IS 'Language code of the article (eng, spa, ...)';
COMMENT ON COLUMN all_studies.authors IS 'Authors in byline order, as ''Last AB, Other CD'' (group names as written)';
COMMENT ON COLUMN all_studies.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN all_studies.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';
COMMENT ON COLUMN all_studies.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';
COMMENT ON COLUMN all_studies.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN all_studies.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN all_studies.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN all_studies.n_studies IS 'Studies included (reviews)';
COMMENT ON COLUMN all_studies.groups IS 'Number of arms';
COMMENT ON COLUMN all_studies.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN all_studies.intervention IS 'Short description of the needling intervention';
COMMENT ON COLUMN all_studies.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple';
COMMENT ON COLUMN all_studies.muscles IS 'Muscles needled, lower case, as named';
COMMENT ON COLUMN all_studies.treatment_duration_weeks IS 'Length of the treatment in weeks';
COMMENT ON COLUMN all_studies.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (6 months = 26)';
COMMENT ON COLUMN all_studies.follow_up_points IS 'Time points as written';
COMMENT ON COLUMN all_studies.outcome_instruments IS 'Outcome instruments, normalised (VAS, NPRS, WOMAC, KOOS, ...)';
COMMENT ON COLUMN all_studies.outcome_domains IS 'Outcome domains (pain, function, stiffness, strength, ...)';
COMMENT ON COLUMN all_studies.adverse_events IS 'none_reported, reported or not_mentioned';
COMMENT ON COLUMN all_studies.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN all_studies.registration IS 'Trial or review registry id (NCT..., ISRCTN..., CRD...)';
COMMENT ON COLUMN all_studies.certainty IS 'GRADE certainty stated by a review: very_low, low, moderate, high';
COMMENT ON COLUMN all_studies.key_sentence IS 'The sentence the result (direction) was read from';
COMMENT ON COLUMN all_studies.adverse_events_sentence IS 'The sentence adverse_events was read from';
COMMENT ON COLUMN all_studies.sample_size_sentence IS 'The sentence sample_size was read from';
COMMENT ON COLUMN all_studies.follow_up_sentence IS 'The sentence max_follow_up_weeks was read from';
COMMENT ON COLUMN all_studies.comparator_sentence IS 'The sentence comparator was read from';
COMMENT ON COLUMN all_studies.extractor_version IS 'Version of the extraction rules that produced the facts';
COMMENT ON COLUMN all_studies.entrez_date IS 'Date the record entered PubMed';
COMMENT ON COLUMN all_studies.first_seen_at IS 'When the warehouse first loaded the article (UTC)';
COMMENT ON COLUMN all_studies.last_changed_at IS 'When the article last changed in the warehouse (UTC)';
COMMENT ON COLUMN all_studies.pubmed_url IS 'Link to the article on PubMed';

CREATE OR REPLACE VIEW relevant_studies AS
SELECT * EXCLUDE (relevant) FROM all_studies WHERE relevant;
COMMENT ON VIEW relevant_studies IS 'Studies of dry needling for a knee condition: one row per study with its facts, key sentence and citation';
COMMENT ON COLUMN relevant_studies.pmid IS 'PubMed identifier';
COMMENT ON COLUMN relevant_studies.title IS 'Article title';
COMMENT ON COLUMN relevant_studies.journal IS 'Journal full title';
COMMENT ON COLUMN relevant_studies.journal_iso IS 'Journal ISO abbreviation';
COMMENT ON COLUMN relevant_studies.volume IS 'Journal volume';
COMMENT ON COLUMN relevant_studies.issue IS 'Journal issue';
COMMENT ON COLUMN relevant_studies.pages IS 'Pages or electronic location';
COMMENT ON COLUMN relevant_studies.year IS 'Publication year';
COMMENT ON COLUMN relevant_studies.pub_date IS 'Publication date (missing or impossible month/day -> 1; null without a possible year)';
COMMENT ON COLUMN relevant_studies.pub_date_text IS 'Publication date as written';
COMMENT ON COLUMN relevant_studies.doi IS 'Digital Object Identifier';
COMMENT ON COLUMN relevant_studies.pmc IS 'PubMed Central id when free full text exists';
COMMENT ON COLUMN relevant_studies.language IS 'Language code of the article (eng, spa, ...)';
COMMENT ON COLUMN relevant_studies.authors IS 'Authors in byline order, as ''Last AB, Other CD'' (group names as written)';
COMMENT ON COLUMN relevant_studies.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN relevant_studies.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';
COMMENT ON COLUMN relevant_studies.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';
COMMENT ON COLUMN relevant_studies.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN relevant_studies.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN relevant_studies.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN relevant_studies.n_studies IS 'Studies included (reviews)';
COMMENT ON COLUMN relevant_studies.groups IS 'Number of arms';
COMMENT ON COLUMN relevant_studies.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN relevant_studies.intervention IS 'Short description of the needling intervention';
COMMENT ON COLUMN relevant_studies.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple';
COMMENT ON COLUMN relevant_studies.muscles IS 'Muscles needled, lower case, as named';
COMMENT ON COLUMN relevant_studies.treatment_duration_weeks IS 'Length of the treatment in weeks';
COMMENT ON COLUMN relevant_studies.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (6 months = 26)';
COMMENT ON COLUMN relevant_studies.follow_up_points IS 'Time points as written';
COMMENT ON COLUMN relevant_studies.outcome_instruments IS 'Outcome instruments, normalised (VAS, NPRS, WOMAC, KOOS, ...)';
COMMENT ON COLUMN relevant_studies.outcome_domains IS 'Outcome domains (pain, function, stiffness, strength, ...)';
COMMENT ON COLUMN relevant_studies.adverse_events IS 'none_reported, reported or not_mentioned';
COMMENT ON COLUMN relevant_studies.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN relevant_studies.registration IS 'Trial or review registry id (NCT..., ISRCTN..., CRD...)';
COMMENT ON COLUMN relevant_studies.certainty IS 'GRADE certainty stated by a review: very_low, low, moderate, high';
COMMENT ON COLUMN relevant_studies.key_sentence IS 'The sentence the result (direction) was read from';
COMMENT ON COLUMN relevant_studies.adverse_events_sentence IS 'The sentence adverse_events was read from';
COMMENT ON COLUMN relevant_studies.sample_size_sentence IS 'The sentence sample_size was read from';
COMMENT ON COLUMN relevant_studies.follow_up_sentence IS 'The sentence max_follow_up_weeks was read from';
COMMENT ON COLUMN relevant_studies.comparator_sentence IS 'The sentence comparator was read from';
COMMENT ON COLUMN relevant_studies.extractor_version IS 'Version of the extraction rules that produced the facts';
COMMENT ON COLUMN relevant_studies.entrez_date IS 'Date the record entered PubMed';
COMMENT ON COLUMN relevant_studies.first_seen_at IS 'When the warehouse first loaded the article (UTC)';
COMMENT ON COLUMN relevant_studies.last_changed_at IS 'When the article last changed in the warehouse (UTC)';
COMMENT ON COLUMN relevant_studies.pubmed_url IS 'Link to the article on PubMed';

CREATE OR REPLACE VIEW rcts AS
SELECT * FROM relevant_studies WHERE design IN ('rct', 'pilot_rct', 'crossover_rct');
COMMENT ON VIEW rcts IS 'Randomised trials only (rct, pilot_rct, crossover_rct) among the relevant studies';
COMMENT ON COLUMN rcts.pmid IS 'PubMed identifier';
COMMENT ON COLUMN rcts.title IS 'Article title';
COMMENT ON COLUMN rcts.journal IS 'Journal full title';
COMMENT ON COLUMN rcts.journal_iso IS 'Journal ISO abbreviation';
COMMENT ON COLUMN rcts.volume IS 'Journal volume';
COMMENT ON COLUMN rcts.issue IS 'Journal issue';
COMMENT ON COLUMN rcts.pages IS 'Pages or electronic location';
COMMENT ON COLUMN rcts.year IS 'Publication year';
COMMENT ON COLUMN rcts.pub_date IS 'Publication date (missing or impossible month/day -> 1; null without a possible year)';
COMMENT ON COLUMN rcts.pub_date_text IS 'Publication date as written';
COMMENT ON COLUMN rcts.doi IS 'Digital Object Identifier';
COMMENT ON COLUMN rcts.pmc IS 'PubMed Central id when free full text exists';
COMMENT ON COLUMN rcts.language IS 'Language code of the article (eng, spa, ...)';
COMMENT ON COLUMN rcts.authors IS 'Authors in byline order, as ''Last AB, Other CD'' (group names as written)';
COMMENT ON COLUMN rcts.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN rcts.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';
COMMENT ON COLUMN rcts.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';
COMMENT ON COLUMN rcts.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN rcts.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN rcts.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN rcts.n_studies IS 'Studies included (reviews)';
COMMENT ON COLUMN rcts.groups IS 'Number of arms';
COMMENT ON COLUMN rcts.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN rcts.intervention IS 'Short description of the needling intervention';
COMMENT ON COLUMN rcts.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple';
COMMENT ON COLUMN rcts.muscles IS 'Muscles needled, lower case, as named';
COMMENT ON COLUMN rcts.treatment_duration_weeks IS 'Length of the treatment in weeks';
COMMENT ON COLUMN rcts.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (6 months = 26)';
COMMENT ON COLUMN rcts.follow_up_points IS 'Time points as written';
COMMENT ON COLUMN rcts.outcome_instruments IS 'Outcome instruments, normalised (VAS, NPRS, WOMAC, KOOS, ...)';
COMMENT ON COLUMN rcts.outcome_domains IS 'Outcome domains (pain, function, stiffness, strength, ...)';
COMMENT ON COLUMN rcts.adverse_events IS 'none_reported, reported or not_mentioned';
COMMENT ON COLUMN rcts.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN rcts.registration IS 'Trial or review registry id (NCT..., ISRCTN..., CRD...)';
COMMENT ON COLUMN rcts.certainty IS 'GRADE certainty stated by a review: very_low, low, moderate, high';
COMMENT ON COLUMN rcts.key_sentence IS 'The sentence the result (direction) was read from';
COMMENT ON COLUMN rcts.adverse_events_sentence IS 'The sentence adverse_events was read from';
COMMENT ON COLUMN rcts.sample_size_sentence IS 'The sentence sample_size was read from';
COMMENT ON COLUMN rcts.follow_up_sentence IS 'The sentence max_follow_up_weeks was read from';
COMMENT ON COLUMN rcts.comparator_sentence IS 'The sentence comparator was read from';
COMMENT ON COLUMN rcts.extractor_version IS 'Version of the extraction rules that produced the facts';
COMMENT ON COLUMN rcts.entrez_date IS 'Date the record entered PubMed';
COMMENT ON COLUMN rcts.first_seen_at IS 'When the warehouse first loaded the article (UTC)';
COMMENT ON COLUMN rcts.last_changed_at IS 'When the article last changed in the warehouse (UTC)';
COMMENT ON COLUMN rcts.pubmed_url IS 'Link to the article on PubMed';

CREATE OR REPLACE VIEW study_outcomes AS
SELECT r.pmid, r.title, r.year, r.design, r.design_group, r.condition, r.comparator, r.sample_size,
       r.max_follow_up_weeks, r.direction, r.is_retracted, o.instrument, r.has_erratum
FROM relevant_studies r, UNNEST(r.outcome_instruments) AS o(instrument);
COMMENT ON VIEW study_outcomes IS 'One row per relevant study and outcome instrument (long format: count trials that measured WOMAC)';
COMMENT ON COLUMN study_outcomes.pmid IS 'PubMed identifier';
COMMENT ON COLUMN study_outcomes.title IS 'Article title';
COMMENT ON COLUMN study_outcomes.year IS 'Publication year';
COMMENT ON COLUMN study_outcomes.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN study_outcomes.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN study_outcomes.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN study_outcomes.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple';
COMMENT ON COLUMN study_outcomes.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN study_outcomes.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (6 months = 26)';
COMMENT ON COLUMN study_outcomes.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN study_outcomes.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN study_outcomes.instrument IS 'One outcome instrument of the study (VAS, WOMAC, ...)';
COMMENT ON COLUMN study_outcomes.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';

CREATE OR REPLACE VIEW study_domains AS
SELECT r.pmid, r.title, r.year, r.design, r.design_group, r.condition, r.comparator, r.sample_size,
       r.max_follow_up_weeks, r.direction, r.is_retracted, d.domain, r.has_erratum
FROM relevant_studies r, UNNEST(r.outcome_domains) AS d(domain);
COMMENT ON VIEW study_domains IS 'One row per relevant study and outcome domain (pain, function, ...)';
COMMENT ON COLUMN study_domains.pmid IS 'PubMed identifier';
COMMENT ON COLUMN study_domains.title IS 'Article title';
COMMENT ON COLUMN study_domains.year IS 'Publication year';
COMMENT ON COLUMN study_domains.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN study_domains.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN study_domains.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN study_domains.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple';
COMMENT ON COLUMN study_domains.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN study_domains.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (6 months = 26)';
COMMENT ON COLUMN study_domains.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN study_domains.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN study_domains.domain IS 'One outcome domain of the study (pain, function, ...)';
COMMENT ON COLUMN study_domains.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';

CREATE OR REPLACE VIEW study_muscles AS
SELECT r.pmid, r.title, r.year, r.design, r.design_group, r.condition, r.sample_size, m.muscle,
       r.is_retracted, r.has_erratum
FROM relevant_studies r, UNNEST(r.muscles) AS m(muscle);
COMMENT ON VIEW study_muscles IS 'One row per relevant study and muscle needled (long format: which studies needled the popliteus)';
COMMENT ON COLUMN study_muscles.pmid IS 'PubMed identifier';
COMMENT ON COLUMN study_muscles.title IS 'Article title';
COMMENT ON COLUMN study_muscles.year IS 'Publication year';
COMMENT ON COLUMN study_muscles.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN study_muscles.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN study_muscles.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN study_muscles.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN study_muscles.muscle IS 'One muscle needled in the study, lower case';
COMMENT ON COLUMN study_muscles.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN study_muscles.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';

CREATE OR REPLACE VIEW conditions_summary AS
SELECT condition,
       count(*) AS studies,
       count(*) FILTER (WHERE design_group = 'randomised trial') AS randomised_trials,
       count(*) FILTER (WHERE design_group = 'systematic review') AS reviews,
       count(*) FILTER (WHERE design = 'protocol') AS protocols,
       sum(sample_size) FILTER (WHERE design_group NOT IN ('systematic review', 'protocol')) AS participants,
       max(max_follow_up_weeks) FILTER (WHERE design <> 'protocol') AS longest_follow_up_weeks,
       max(year) AS newest_year,
       count(*) FILTER (WHERE is_retracted) AS retracted
FROM relevant_studies
GROUP BY condition
ORDER BY studies DESC, condition;
COMMENT ON VIEW conditions_summary IS 'Per condition: studies, randomised trials, reviews, protocols, participants in primary studies, longest follow-up';
COMMENT ON COLUMN conditions_summary.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN conditions_summary.studies IS 'Relevant studies of the condition';
COMMENT ON COLUMN conditions_summary.randomised_trials IS 'Randomised trials among them';
COMMENT ON COLUMN conditions_summary.reviews IS 'Systematic reviews and meta-analyses among them';
COMMENT ON COLUMN conditions_summary.protocols IS 'Protocols (planned or ongoing trials) among them';
COMMENT ON COLUMN conditions_summary.participants IS 'People in the primary studies (sum of sample sizes, reviews and protocols excluded)';
COMMENT ON COLUMN conditions_summary.longest_follow_up_weeks IS 'Longest follow-up of any non-protocol study, in weeks';
COMMENT ON COLUMN conditions_summary.newest_year IS 'Publication year of the newest study';
COMMENT ON COLUMN conditions_summary.retracted IS 'Retracted studies among them';

-- Links in both directions: an article's own CommentsCorrections, and the notices in the warehouse
-- that point at it (shown from the article's side, e.g. a notice's ErratumFor as the article's ErratumIn).
CREATE OR REPLACE VIEW retractions AS
WITH links AS (
    SELECT pmid, ref_type, ref_pmid, ref_source FROM comments_corrections
    WHERE ref_type IN ('RetractionIn', 'RetractionOf', 'ErratumIn', 'ErratumFor',
                       'ExpressionOfConcernIn', 'ExpressionOfConcernFor', 'UpdateIn', 'UpdateOf')
    UNION ALL
    SELECT c.ref_pmid,
           CASE c.ref_type WHEN 'RetractionOf' THEN 'RetractionIn' WHEN 'ErratumFor' THEN 'ErratumIn'
                           WHEN 'ExpressionOfConcernFor' THEN 'ExpressionOfConcernIn' ELSE 'UpdateIn' END,
           c.pmid, NULL
    FROM comments_corrections c
    WHERE c.ref_type IN ('RetractionOf', 'ErratumFor', 'ExpressionOfConcernFor', 'UpdateOf')
      AND c.ref_pmid IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM comments_corrections x WHERE x.pmid = c.ref_pmid AND x.ref_pmid = c.pmid)
)
SELECT a.pmid, a.title, a.pub_year AS year, f.is_retracted, f.has_erratum, f.is_notice,
       l.ref_type, l.ref_pmid, l.ref_source,
       CASE WHEN l.ref_type LIKE 'Retraction%' THEN 'retraction'
            WHEN l.ref_type LIKE 'Erratum%' THEN 'erratum'
            WHEN l.ref_type LIKE 'ExpressionOfConcern%' THEN 'expression of concern'
            WHEN l.ref_type LIKE 'Update%' THEN 'update'
            WHEN f.is_retracted THEN 'retraction'
            WHEN f.has_erratum THEN 'erratum'
            ELSE 'notice' END AS link_kind,
       la.title AS linked_title,
       s.relevant
FROM articles a
JOIN article_flags f USING (pmid)
LEFT JOIN links l ON l.pmid = a.pmid
LEFT JOIN articles la ON la.pmid = l.ref_pmid
LEFT JOIN studies s ON s.pmid = a.pmid
WHERE NOT a.is_deleted AND (f.is_retracted OR f.has_erratum OR f.is_notice OR l.pmid IS NOT NULL)
ORDER BY a.pmid, l.ref_type, l.ref_pmid;
COMMENT ON VIEW retractions IS 'Retracted or corrected articles, retraction notices and errata, each with the linked notice or article';
COMMENT ON COLUMN retractions.pmid IS 'PubMed identifier of the flagged article';
COMMENT ON COLUMN retractions.title IS 'Title of the flagged article';
COMMENT ON COLUMN retractions.year IS 'Publication year';
COMMENT ON COLUMN retractions.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN retractions.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';
COMMENT ON COLUMN retractions.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';
COMMENT ON COLUMN retractions.ref_type IS 'Link type from the article''s side (RetractionIn, ErratumIn, RetractionOf, ErratumFor, ExpressionOfConcernIn, UpdateIn, ...)';
COMMENT ON COLUMN retractions.ref_pmid IS 'PMID of the linked notice or article';
COMMENT ON COLUMN retractions.ref_source IS 'Citation of the linked item as PubMed writes it (null when the link comes from the notice''s side)';
COMMENT ON COLUMN retractions.link_kind IS 'retraction, erratum, expression of concern, update or notice';
COMMENT ON COLUMN retractions.linked_title IS 'Title of the linked notice or article when it is in the warehouse';
COMMENT ON COLUMN retractions.relevant IS 'Whether the extracted facts judge the article relevant (null when never extracted)';

CREATE OR REPLACE VIEW ongoing_trials AS
SELECT * FROM relevant_studies WHERE design = 'protocol'
ORDER BY entrez_date DESC NULLS LAST;
COMMENT ON VIEW ongoing_trials IS 'Planned or ongoing trials: published protocols and registrations without results';
COMMENT ON COLUMN ongoing_trials.pmid IS 'PubMed identifier';
COMMENT ON COLUMN ongoing_trials.title IS 'Article title';
COMMENT ON COLUMN ongoing_trials.journal IS 'Journal full title';
COMMENT ON COLUMN ongoing_trials.journal_iso IS 'Journal ISO abbreviation';
COMMENT ON COLUMN ongoing_trials.volume IS 'Journal volume';
COMMENT ON COLUMN ongoing_trials.issue IS 'Journal issue';
COMMENT ON COLUMN ongoing_trials.pages IS 'Pages or electronic location';
COMMENT ON COLUMN ongoing_trials.year IS 'Publication year';
COMMENT ON COLUMN ongoing_trials.pub_date IS 'Publication date (missing or impossible month/day -> 1; null without a possible year)';
COMMENT ON COLUMN ongoing_trials.pub_date_text IS 'Publication date as written';
COMMENT ON COLUMN ongoing_trials.doi IS 'Digital Object Identifier';
COMMENT ON COLUMN ongoing_trials.pmc IS 'PubMed Central id when free full text exists';
COMMENT ON COLUMN ongoing_trials.language IS 'Language code of the article (eng, spa, ...)';
COMMENT ON COLUMN ongoing_trials.authors IS 'Authors in byline order, as ''Last AB, Other CD'' (group names as written)';
COMMENT ON COLUMN ongoing_trials.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN ongoing_trials.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';
COMMENT ON COLUMN ongoing_trials.is_notice IS 'True for retraction notices, errata and expressions of concern themselves';
COMMENT ON COLUMN ongoing_trials.design IS 'Study design (rct, pilot_rct, crossover_rct, systematic_review, meta_analysis, protocol, ...; see studies.design)';
COMMENT ON COLUMN ongoing_trials.design_group IS 'Design in plain words: randomised trial, systematic review, protocol, other study, unknown';
COMMENT ON COLUMN ongoing_trials.sample_size IS 'People randomised or enrolled (planned for protocols; pooled participants for reviews); null when the abstract does not say';
COMMENT ON COLUMN ongoing_trials.n_studies IS 'Studies included (reviews)';
COMMENT ON COLUMN ongoing_trials.groups IS 'Number of arms';
COMMENT ON COLUMN ongoing_trials.condition IS 'Condition (knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, ...)';
COMMENT ON COLUMN ongoing_trials.intervention IS 'Short description of the needling intervention';
COMMENT ON COLUMN ongoing_trials.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple';
COMMENT ON COLUMN ongoing_trials.muscles IS 'Muscles needled, lower case, as named';
COMMENT ON COLUMN ongoing_trials.treatment_duration_weeks IS 'Length of the treatment in weeks';
COMMENT ON COLUMN ongoing_trials.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (6 months = 26)';
COMMENT ON COLUMN ongoing_trials.follow_up_points IS 'Time points as written';
COMMENT ON COLUMN ongoing_trials.outcome_instruments IS 'Outcome instruments, normalised (VAS, NPRS, WOMAC, KOOS, ...)';
COMMENT ON COLUMN ongoing_trials.outcome_domains IS 'Outcome domains (pain, function, stiffness, strength, ...)';
COMMENT ON COLUMN ongoing_trials.adverse_events IS 'none_reported, reported or not_mentioned';
COMMENT ON COLUMN ongoing_trials.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN ongoing_trials.registration IS 'Trial or review registry id (NCT..., ISRCTN..., CRD...)';
COMMENT ON COLUMN ongoing_trials.certainty IS 'GRADE certainty stated by a review: very_low, low, moderate, high';
COMMENT ON COLUMN ongoing_trials.key_sentence IS 'The sentence the result (direction) was read from';
COMMENT ON COLUMN ongoing_trials.adverse_events_sentence IS 'The sentence adverse_events was read from';
COMMENT ON COLUMN ongoing_trials.sample_size_sentence IS 'The sentence sample_size was read from';
COMMENT ON COLUMN ongoing_trials.follow_up_sentence IS 'The sentence max_follow_up_weeks was read from';
COMMENT ON COLUMN ongoing_trials.comparator_sentence IS 'The sentence comparator was read from';
COMMENT ON COLUMN ongoing_trials.extractor_version IS 'Version of the extraction rules that produced the facts';
COMMENT ON COLUMN ongoing_trials.entrez_date IS 'Date the record entered PubMed';
COMMENT ON COLUMN ongoing_trials.first_seen_at IS 'When the warehouse first loaded the article (UTC)';
COMMENT ON COLUMN ongoing_trials.last_changed_at IS 'When the article last changed in the warehouse (UTC)';
COMMENT ON COLUMN ongoing_trials.pubmed_url IS 'Link to the article on PubMed';

-- Extracted facts that changed from one recorded set to the next, per PMID (null before: first extraction).
CREATE OR REPLACE VIEW study_changes AS
WITH ordered AS (
    SELECT pmid, extractor_version, facts, run_id, recorded_at,
           lag(facts) OVER w AS previous_facts, lag(extractor_version) OVER w AS previous_extractor_version
    FROM study_versions
    WINDOW w AS (PARTITION BY pmid ORDER BY recorded_at, rowid)
)
SELECT pmid, recorded_at AS changed_at, extractor_version, previous_extractor_version,
       CASE WHEN previous_facts IS NULL THEN NULL ELSE
         list_filter(json_keys(facts), k -> json_extract(facts, k) IS DISTINCT FROM json_extract(previous_facts, k))
       END AS changed_facts,
       CASE WHEN previous_facts IS NULL THEN NULL ELSE
         array_to_string(list_transform(
           list_filter(json_keys(facts), k -> json_extract(facts, k) IS DISTINCT FROM json_extract(previous_facts, k)),
           k -> k || ': ' || coalesce(CAST(json_extract(previous_facts, k) AS VARCHAR), 'null') || ' -> '
                || coalesce(CAST(json_extract(facts, k) AS VARCHAR), 'null')), '; ')
       END AS what,
       facts, previous_facts, run_id
FROM ordered;
COMMENT ON VIEW study_changes IS 'History of extracted facts: each new set of facts for a PMID with which facts changed, from what to what';
COMMENT ON COLUMN study_changes.pmid IS 'PubMed identifier';
COMMENT ON COLUMN study_changes.changed_at IS 'When the change was recorded (UTC)';
COMMENT ON COLUMN study_changes.extractor_version IS 'Extractor version that produced these facts';
COMMENT ON COLUMN study_changes.previous_extractor_version IS 'Extractor version of the previous facts (null for the first)';
COMMENT ON COLUMN study_changes.changed_facts IS 'Names of the facts that differ from the previous set (null for the first)';
COMMENT ON COLUMN study_changes.what IS 'The change in words (e.g. changed: abstract, version; or sample_size: 40 -> 42)';
COMMENT ON COLUMN study_changes.facts IS 'The extracted facts (JSON object)';
COMMENT ON COLUMN study_changes.previous_facts IS 'The facts recorded before (JSON; null for the first)';
COMMENT ON COLUMN study_changes.run_id IS 'Run that recorded it (see runs)';

CREATE OR REPLACE VIEW changes AS
SELECT v.pmid, v.recorded_at AS changed_at, 'article ' || v.change AS change,
       v.changed_parts AS details, v.run_id, v.version, CAST(NULL AS VARCHAR) AS extractor_version,
       CASE v.change WHEN 'new' THEN 'added (version ' || coalesce(CAST(v.version AS VARCHAR), '?') || ')'
                     WHEN 'deleted' THEN 'withdrawn from PubMed'
                     ELSE 'changed: ' || array_to_string(v.changed_parts, ', ') END AS what
FROM article_versions v
UNION ALL
SELECT sc.pmid, sc.changed_at, 'facts extracted', [sc.extractor_version], sc.run_id, NULL, sc.extractor_version,
       CASE WHEN sc.changed_facts IS NULL THEN 'first extraction (extractor ' || sc.extractor_version || ')'
            ELSE 'extractor ' || sc.extractor_version || ': ' || coalesce(nullif(sc.what, ''), 'no fact changed') END
FROM study_changes sc;
COMMENT ON VIEW changes IS 'History: every article added, changed or deleted, and every new set of extracted facts, with when and what';
COMMENT ON COLUMN changes.pmid IS 'PubMed identifier';
COMMENT ON COLUMN changes.changed_at IS 'When the change was recorded (UTC)';
COMMENT ON COLUMN changes.change IS 'article new, article updated, article deleted, or facts extracted';
COMMENT ON COLUMN changes.details IS 'For articles: the parts that changed (citation, abstract, authors, mesh, publication_types, corrections, ids, version); for facts: the extractor version';
COMMENT ON COLUMN changes.run_id IS 'Run that recorded it (see runs)';
COMMENT ON COLUMN changes.version IS 'PMID version of the article at that time (null for facts)';
COMMENT ON COLUMN changes.extractor_version IS 'Extractor version of a facts row (null for article changes)';
COMMENT ON COLUMN changes.what IS 'The change in words (e.g. changed: abstract, version; or sample_size: 40 -> 42)';

CREATE OR REPLACE MACRO changed_since(since) AS TABLE
SELECT c.*, a.title, f.is_retracted, f.has_erratum
FROM changes c LEFT JOIN articles a USING (pmid) LEFT JOIN article_flags f USING (pmid)
WHERE c.changed_at >= CAST(since AS TIMESTAMP) ORDER BY c.changed_at, c.pmid, c.change;
COMMENT ON MACRO TABLE changed_since IS 'changed_since(''2026-01-01''): every change recorded on or after a date (or timestamp), oldest first, with the title and flags';

CREATE OR REPLACE MACRO article_history(p) AS TABLE
SELECT c.changed_at, c.change, c.what, c.details, c.version, c.extractor_version, c.run_id, r.kind AS run_kind
FROM changes c LEFT JOIN runs r USING (run_id)
WHERE c.pmid = CAST(p AS VARCHAR)
ORDER BY c.changed_at, CASE WHEN c.change LIKE 'article%' THEN 0 ELSE 1 END;
COMMENT ON MACRO TABLE article_history IS 'article_history(''12345678''): every version of one article and of its extracted facts, oldest first: when, what changed, which run';

CREATE OR REPLACE VIEW study_evidence AS
SELECT e.pmid, e.field, e.value, e.source, e.span, e.confidence, f.is_retracted, f.has_erratum
FROM (
  SELECT pmid, f.field, f.value, f.source, f.span, f.confidence
  FROM (
    SELECT pmid, UNNEST([
      {'field': 'relevant', 'value': CAST(relevant AS VARCHAR), 'source': relevant_source, 'span': relevant_span, 'confidence': relevant_confidence},
      {'field': 'design', 'value': design, 'source': design_source, 'span': design_span, 'confidence': design_confidence},
      {'field': 'sample_size', 'value': CAST(sample_size AS VARCHAR), 'source': sample_size_source, 'span': sample_size_span, 'confidence': sample_size_confidence},
      {'field': 'n_studies', 'value': CAST(n_studies AS VARCHAR), 'source': n_studies_source, 'span': n_studies_span, 'confidence': n_studies_confidence},
      {'field': 'groups', 'value': CAST(groups AS VARCHAR), 'source': groups_source, 'span': groups_span, 'confidence': groups_confidence},
      {'field': 'condition', 'value': condition, 'source': condition_source, 'span': condition_span, 'confidence': condition_confidence},
      {'field': 'intervention', 'value': intervention, 'source': intervention_source, 'span': intervention_span, 'confidence': intervention_confidence},
      {'field': 'comparator', 'value': comparator, 'source': comparator_source, 'span': comparator_span, 'confidence': comparator_confidence},
      {'field': 'muscles', 'value': array_to_string(muscles, ', '), 'source': muscles_source, 'span': muscles_span, 'confidence': muscles_confidence},
      {'field': 'treatment_duration_weeks', 'value': CAST(treatment_duration_weeks AS VARCHAR), 'source': treatment_duration_weeks_source, 'span': treatment_duration_weeks_span, 'confidence': treatment_duration_weeks_confidence},
      {'field': 'max_follow_up_weeks', 'value': CAST(max_follow_up_weeks AS VARCHAR), 'source': max_follow_up_weeks_source, 'span': max_follow_up_weeks_span, 'confidence': max_follow_up_weeks_confidence},
      {'field': 'follow_up_points', 'value': array_to_string(follow_up_points, ', '), 'source': follow_up_points_source, 'span': follow_up_points_span, 'confidence': follow_up_points_confidence},
      {'field': 'outcome_instruments', 'value': array_to_string(outcome_instruments, ', '), 'source': outcome_instruments_source, 'span': outcome_instruments_span, 'confidence': outcome_instruments_confidence},
      {'field': 'outcome_domains', 'value': array_to_string(outcome_domains, ', '), 'source': outcome_domains_source, 'span': outcome_domains_span, 'confidence': outcome_domains_confidence},
      {'field': 'adverse_events', 'value': adverse_events, 'source': adverse_events_source, 'span': adverse_events_span, 'confidence': adverse_events_confidence},
      {'field': 'direction', 'value': direction, 'source': direction_source, 'span': direction_span, 'confidence': direction_confidence},
      {'field': 'registration', 'value': registration, 'source': registration_source, 'span': registration_span, 'confidence': registration_confidence},
      {'field': 'certainty', 'value': certainty, 'source': certainty_source, 'span': certainty_span, 'confidence': certainty_confidence}
    ]) AS f
    FROM studies
  )
  WHERE f.value IS NOT NULL AND f.value <> ''
) e JOIN article_flags f USING (pmid);
COMMENT ON VIEW study_evidence IS 'Every extracted fact in long format with the sentence or PubMed field it came from and its confidence';
COMMENT ON COLUMN study_evidence.pmid IS 'PubMed identifier';
COMMENT ON COLUMN study_evidence.field IS 'Name of the fact (design, sample_size, ...)';
COMMENT ON COLUMN study_evidence.value IS 'The fact as text';
COMMENT ON COLUMN study_evidence.source IS 'Where it came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN study_evidence.span IS 'The sentence or PubMed field it was read from';
COMMENT ON COLUMN study_evidence.confidence IS 'Confidence, 0 to 1';
COMMENT ON COLUMN study_evidence.is_retracted IS 'True when the article is retracted (PubMed marks it, or a retraction notice links to it); exclude or flag it';
COMMENT ON COLUMN study_evidence.has_erratum IS 'True when an erratum is linked to the article (from either side); check the correction';

CREATE OR REPLACE VIEW run_health AS
SELECT run_id, kind, status, mode, started_at, finished_at,
       date_diff('second', started_at, finished_at) AS seconds,
       searched, fetched, new, updated, unchanged, deleted, requests, errors, last_stage, message
FROM runs ORDER BY run_id DESC;
COMMENT ON VIEW run_health IS 'Runs, newest first: what each did, how long it took, errors';
COMMENT ON COLUMN run_health.run_id IS 'Run that recorded it (see runs)';
COMMENT ON COLUMN run_health.kind IS 'run, ingest or rebuild';
COMMENT ON COLUMN run_health.status IS 'success, failed or interrupted';
COMMENT ON COLUMN run_health.mode IS 'replay (offline snapshot), live (NCBI) or file';
COMMENT ON COLUMN run_health.started_at IS 'Start (UTC)';
COMMENT ON COLUMN run_health.finished_at IS 'End (UTC)';
COMMENT ON COLUMN run_health.seconds IS 'How long the run took, in seconds';
COMMENT ON COLUMN run_health.searched IS 'Records the search reported';
COMMENT ON COLUMN run_health.fetched IS 'Records fetched and landed';
COMMENT ON COLUMN run_health.new IS 'Articles added';
COMMENT ON COLUMN run_health.updated IS 'Articles changed';
COMMENT ON COLUMN run_health.unchanged IS 'Articles fetched again with no change';
COMMENT ON COLUMN run_health.deleted IS 'Articles PubMed withdrew';
COMMENT ON COLUMN run_health.requests IS 'E-utilities requests made';
COMMENT ON COLUMN run_health.errors IS 'Errors met (retried or fatal)';
COMMENT ON COLUMN run_health.last_stage IS 'Last stage reached';
COMMENT ON COLUMN run_health.message IS 'Summary or error message';

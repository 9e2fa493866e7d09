-- Views for the common questions. Briefs and the dashboard read these, never the tables.

-- Every article with its extracted facts and citation details (relevant or not).
CREATE OR REPLACE VIEW all_studies AS
SELECT s.pmid, s.relevant, a.title, a.journal_title AS journal, a.journal_iso, a.volume, a.issue, a.pages,
       a.pub_year AS year, a.pub_date, a.pub_date_text, a.doi, a.pmc, a.language,
       (SELECT string_agg(coalesce(au.last_name || coalesce(' ' || au.initials, ''), au.collective_name), ', '
                          ORDER BY au.position)
          FROM authors au WHERE au.pmid = s.pmid) AS authors,
       a.is_retracted, a.has_erratum, a.is_notice,
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
       s.extractor_version, a.entrez_date, a.first_seen_at, a.last_changed_at
FROM studies s JOIN articles a USING (pmid)
WHERE NOT a.is_deleted;
COMMENT ON VIEW all_studies IS 'Every current article with its extracted study facts and citation (relevant or not; see relevant)';

CREATE OR REPLACE VIEW relevant_studies AS
SELECT * EXCLUDE (relevant) FROM all_studies WHERE relevant;
COMMENT ON VIEW relevant_studies IS 'Studies of dry needling for a knee condition: one row per study with its facts, key sentence and citation';

CREATE OR REPLACE VIEW rcts AS
SELECT * FROM relevant_studies WHERE design IN ('rct', 'pilot_rct', 'crossover_rct');
COMMENT ON VIEW rcts IS 'Randomised trials only (rct, pilot_rct, crossover_rct) among the relevant studies';

CREATE OR REPLACE VIEW study_outcomes AS
SELECT r.pmid, r.title, r.year, r.design, r.design_group, r.condition, r.comparator, r.sample_size,
       r.max_follow_up_weeks, r.direction, r.is_retracted, o.instrument
FROM relevant_studies r, UNNEST(r.outcome_instruments) AS o(instrument);
COMMENT ON VIEW study_outcomes IS 'One row per relevant study and outcome instrument (long format: count trials that measured WOMAC)';

CREATE OR REPLACE VIEW study_domains AS
SELECT r.pmid, r.title, r.year, r.design, r.design_group, r.condition, r.comparator, r.sample_size,
       r.max_follow_up_weeks, r.direction, r.is_retracted, d.domain
FROM relevant_studies r, UNNEST(r.outcome_domains) AS d(domain);
COMMENT ON VIEW study_domains IS 'One row per relevant study and outcome domain (pain, function, ...)';

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

CREATE OR REPLACE VIEW retractions AS
SELECT a.pmid, a.title, a.pub_year AS year, a.is_retracted, a.has_erratum, a.is_notice,
       c.ref_type, c.ref_pmid, c.ref_source
FROM articles a LEFT JOIN comments_corrections c
  ON c.pmid = a.pmid AND c.ref_type IN ('RetractionIn', 'RetractionOf', 'ErratumIn', 'ErratumFor',
                                        'ExpressionOfConcernIn', 'ExpressionOfConcernFor', 'UpdateIn', 'UpdateOf')
WHERE a.is_retracted OR a.has_erratum OR a.is_notice OR c.pmid IS NOT NULL;
COMMENT ON VIEW retractions IS 'Retracted or corrected articles, retraction notices and errata, with the linked PMID';

CREATE OR REPLACE VIEW ongoing_trials AS
SELECT * FROM relevant_studies WHERE design = 'protocol'
ORDER BY entrez_date DESC NULLS LAST;
COMMENT ON VIEW ongoing_trials IS 'Planned or ongoing trials: published protocols and registrations without results';

CREATE OR REPLACE VIEW changes AS
SELECT v.pmid, v.recorded_at AS changed_at, 'article ' || v.change AS change,
       v.changed_parts AS details, v.run_id
FROM article_versions v
UNION ALL
SELECT sv.pmid, sv.recorded_at, 'facts extracted', [sv.extractor_version], sv.run_id
FROM study_versions sv;
COMMENT ON VIEW changes IS 'History: every article added, changed or deleted, and every new set of extracted facts, with when';

CREATE OR REPLACE MACRO changed_since(since) AS TABLE
SELECT c.*, a.title FROM changes c LEFT JOIN articles a USING (pmid)
WHERE c.changed_at >= CAST(since AS TIMESTAMP) ORDER BY c.changed_at, c.pmid;

CREATE OR REPLACE VIEW study_evidence AS
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
WHERE f.value IS NOT NULL AND f.value <> '';
COMMENT ON VIEW study_evidence IS 'Every extracted fact in long format with the sentence or PubMed field it came from and its confidence';

CREATE OR REPLACE VIEW run_health AS
SELECT run_id, kind, status, mode, started_at, finished_at,
       date_diff('second', started_at, finished_at) AS seconds,
       searched, fetched, new, updated, unchanged, deleted, requests, errors, last_stage, message
FROM runs ORDER BY run_id DESC;
COMMENT ON VIEW run_health IS 'Runs, newest first: what each did, how long it took, errors';

-- Store extracted facts for changed articles, or for all of them when the extractor changed;
-- keep a history row whenever a PMID's facts differ from the last ones recorded.
-- batch_studies holds the PMIDs to store and their facts, not the ~70 columns of each study: those
-- go from the incoming frame straight into studies below (one copy of them, not two).
CREATE OR REPLACE TEMP TABLE batch_studies AS
SELECT s.*, md5(CAST(s.facts AS VARCHAR)) AS facts_hash
FROM (
    SELECT i.pmid, i.extractor_version, to_json(struct_pack(
        relevant := i.relevant, design := i.design, sample_size := i.sample_size, n_studies := i.n_studies,
        groups := i.groups, condition := i.condition, intervention := i.intervention,
        comparator := i.comparator, muscles := i.muscles,
        treatment_duration_weeks := i.treatment_duration_weeks, max_follow_up_weeks := i.max_follow_up_weeks,
        follow_up_points := i.follow_up_points, outcome_instruments := i.outcome_instruments,
        outcome_domains := i.outcome_domains, adverse_events := i.adverse_events, direction := i.direction,
        registration := i.registration, certainty := i.certainty)) AS facts,
        s.pmid IS NOT NULL AS replaces_row
    FROM incoming_studies i
    LEFT JOIN studies s USING (pmid)
    LEFT JOIN batch_changes c USING (pmid)
    WHERE s.pmid IS NULL OR c.change IN ('new', 'updated') OR s.extractor_version <> i.extractor_version
) s;

-- only PMIDs that already have a row (none after a rebuild's clear or in a first ingest)
DELETE FROM studies WHERE pmid IN (SELECT pmid FROM batch_studies WHERE replaces_row);
INSERT INTO studies BY NAME
SELECT i.*, $run_id AS run_id, $now AS extracted_at FROM incoming_studies i
WHERE i.pmid IN (SELECT pmid FROM batch_studies);

-- the last facts hash recorded for each PMID of the batch (latest recorded_at, then latest row),
-- as one join instead of a subquery per study
INSERT INTO study_versions
SELECT b.pmid, b.extractor_version, b.facts, b.facts_hash, $run_id, $now
FROM batch_studies b
LEFT JOIN (
    SELECT v.pmid, v.facts_hash FROM study_versions v
    WHERE v.pmid IN (SELECT pmid FROM batch_studies)
    QUALIFY row_number() OVER (PARTITION BY v.pmid ORDER BY v.recorded_at DESC, v.rowid DESC) = 1
) last USING (pmid)
WHERE b.facts_hash IS DISTINCT FROM last.facts_hash;

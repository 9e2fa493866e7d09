-- Study facts read out of each article by the extractors (src/evidence/extract).
-- One row per article; every fact F has F_source (where it came from), F_span (the sentence or
-- PubMed field) and F_confidence (0-1). Null means the record does not say.

CREATE TABLE IF NOT EXISTS studies (
    pmid VARCHAR PRIMARY KEY,
    extractor_version VARCHAR NOT NULL,
    relevant BOOLEAN,
    relevant_source VARCHAR,
    relevant_span VARCHAR,
    relevant_confidence DOUBLE,
    design VARCHAR,
    design_source VARCHAR,
    design_span VARCHAR,
    design_confidence DOUBLE,
    sample_size INTEGER,
    sample_size_source VARCHAR,
    sample_size_span VARCHAR,
    sample_size_confidence DOUBLE,
    n_studies INTEGER,
    n_studies_source VARCHAR,
    n_studies_span VARCHAR,
    n_studies_confidence DOUBLE,
    groups INTEGER,
    groups_source VARCHAR,
    groups_span VARCHAR,
    groups_confidence DOUBLE,
    condition VARCHAR,
    condition_source VARCHAR,
    condition_span VARCHAR,
    condition_confidence DOUBLE,
    intervention VARCHAR,
    intervention_source VARCHAR,
    intervention_span VARCHAR,
    intervention_confidence DOUBLE,
    comparator VARCHAR,
    comparator_source VARCHAR,
    comparator_span VARCHAR,
    comparator_confidence DOUBLE,
    muscles VARCHAR[],
    muscles_source VARCHAR,
    muscles_span VARCHAR,
    muscles_confidence DOUBLE,
    treatment_duration_weeks DOUBLE,
    treatment_duration_weeks_source VARCHAR,
    treatment_duration_weeks_span VARCHAR,
    treatment_duration_weeks_confidence DOUBLE,
    max_follow_up_weeks DOUBLE,
    max_follow_up_weeks_source VARCHAR,
    max_follow_up_weeks_span VARCHAR,
    max_follow_up_weeks_confidence DOUBLE,
    follow_up_points VARCHAR[],
    follow_up_points_source VARCHAR,
    follow_up_points_span VARCHAR,
    follow_up_points_confidence DOUBLE,
    outcome_instruments VARCHAR[],
    outcome_instruments_source VARCHAR,
    outcome_instruments_span VARCHAR,
    outcome_instruments_confidence DOUBLE,
    outcome_domains VARCHAR[],
    outcome_domains_source VARCHAR,
    outcome_domains_span VARCHAR,
    outcome_domains_confidence DOUBLE,
    adverse_events VARCHAR,
    adverse_events_source VARCHAR,
    adverse_events_span VARCHAR,
    adverse_events_confidence DOUBLE,
    direction VARCHAR,
    direction_source VARCHAR,
    direction_span VARCHAR,
    direction_confidence DOUBLE,
    registration VARCHAR,
    registration_source VARCHAR,
    registration_span VARCHAR,
    registration_confidence DOUBLE,
    certainty VARCHAR,
    certainty_source VARCHAR,
    certainty_span VARCHAR,
    certainty_confidence DOUBLE,
    run_id VARCHAR,
    extracted_at TIMESTAMP
);
COMMENT ON TABLE studies IS 'Study facts of each article, each with its source span and confidence (one row per PMID)';
COMMENT ON COLUMN studies.pmid IS 'PubMed identifier';
COMMENT ON COLUMN studies.extractor_version IS 'Version of the extraction rules that produced the row';
COMMENT ON COLUMN studies.run_id IS 'Run that extracted the row';
COMMENT ON COLUMN studies.extracted_at IS 'When the row was extracted (UTC)';
COMMENT ON COLUMN studies.relevant IS 'About dry needling for a knee condition in people who have it (irrelevant records are kept, flagged false)';
COMMENT ON COLUMN studies.relevant_source IS 'Where relevant came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.relevant_span IS 'The sentence or PubMed field relevant was read from';
COMMENT ON COLUMN studies.relevant_confidence IS 'Confidence of relevant, 0 to 1';
COMMENT ON COLUMN studies.design IS 'Study design: rct, pilot_rct, crossover_rct, non_randomized_controlled, single_group_pre_post, cohort, case_report, case_series, systematic_review, meta_analysis, narrative_review, protocol, cross_sectional, cadaveric, other';
COMMENT ON COLUMN studies.design_source IS 'Where design came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.design_span IS 'The sentence or PubMed field design was read from';
COMMENT ON COLUMN studies.design_confidence IS 'Confidence of design, 0 to 1';
COMMENT ON COLUMN studies.sample_size IS 'People randomised or enrolled (planned number for protocols; pooled participants for reviews)';
COMMENT ON COLUMN studies.sample_size_source IS 'Where sample_size came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.sample_size_span IS 'The sentence or PubMed field sample_size was read from';
COMMENT ON COLUMN studies.sample_size_confidence IS 'Confidence of sample_size, 0 to 1';
COMMENT ON COLUMN studies.n_studies IS 'Studies included (reviews)';
COMMENT ON COLUMN studies.n_studies_source IS 'Where n_studies came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.n_studies_span IS 'The sentence or PubMed field n_studies was read from';
COMMENT ON COLUMN studies.n_studies_confidence IS 'Confidence of n_studies, 0 to 1';
COMMENT ON COLUMN studies.groups IS 'Number of arms';
COMMENT ON COLUMN studies.groups_source IS 'Where groups came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.groups_span IS 'The sentence or PubMed field groups was read from';
COMMENT ON COLUMN studies.groups_confidence IS 'Confidence of groups, 0 to 1';
COMMENT ON COLUMN studies.condition IS 'Condition: knee_oa, tka, pfps, patellar_tendinopathy, itbs, acl, knee_pain_nonspecific, neck_pain, shoulder_pain, low_back_pain, plantar_heel_pain, hip_pain, other';
COMMENT ON COLUMN studies.condition_source IS 'Where condition came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.condition_span IS 'The sentence or PubMed field condition was read from';
COMMENT ON COLUMN studies.condition_confidence IS 'Confidence of condition, 0 to 1';
COMMENT ON COLUMN studies.intervention IS 'Short description of the needling intervention';
COMMENT ON COLUMN studies.intervention_source IS 'Where intervention came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.intervention_span IS 'The sentence or PubMed field intervention was read from';
COMMENT ON COLUMN studies.intervention_confidence IS 'Confidence of intervention, 0 to 1';
COMMENT ON COLUMN studies.comparator IS 'What the control arm got instead of needling: sham, placebo, cointervention_only, active_other, no_treatment, none, multiple (null for reviews)';
COMMENT ON COLUMN studies.comparator_source IS 'Where comparator came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.comparator_span IS 'The sentence or PubMed field comparator was read from';
COMMENT ON COLUMN studies.comparator_confidence IS 'Confidence of comparator, 0 to 1';
COMMENT ON COLUMN studies.muscles IS 'Muscles needled, lower case, as named';
COMMENT ON COLUMN studies.muscles_source IS 'Where muscles came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.muscles_span IS 'The sentence or PubMed field muscles was read from';
COMMENT ON COLUMN studies.muscles_confidence IS 'Confidence of muscles, 0 to 1';
COMMENT ON COLUMN studies.treatment_duration_weeks IS 'Length of the treatment in weeks';
COMMENT ON COLUMN studies.treatment_duration_weeks_source IS 'Where treatment_duration_weeks came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.treatment_duration_weeks_span IS 'The sentence or PubMed field treatment_duration_weeks was read from';
COMMENT ON COLUMN studies.treatment_duration_weeks_confidence IS 'Confidence of treatment_duration_weeks, 0 to 1';
COMMENT ON COLUMN studies.max_follow_up_weeks IS 'Longest time point after baseline, in weeks (3, 6, 12 months = 13, 26, 52 weeks; other months 4.345 weeks each)';
COMMENT ON COLUMN studies.max_follow_up_weeks_source IS 'Where max_follow_up_weeks came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.max_follow_up_weeks_span IS 'The sentence or PubMed field max_follow_up_weeks was read from';
COMMENT ON COLUMN studies.max_follow_up_weeks_confidence IS 'Confidence of max_follow_up_weeks, 0 to 1';
COMMENT ON COLUMN studies.follow_up_points IS 'Time points as written';
COMMENT ON COLUMN studies.follow_up_points_source IS 'Where follow_up_points came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.follow_up_points_span IS 'The sentence or PubMed field follow_up_points was read from';
COMMENT ON COLUMN studies.follow_up_points_confidence IS 'Confidence of follow_up_points, 0 to 1';
COMMENT ON COLUMN studies.outcome_instruments IS 'Outcome instruments, normalised (VAS, NPRS, WOMAC, KOOS, ...)';
COMMENT ON COLUMN studies.outcome_instruments_source IS 'Where outcome_instruments came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.outcome_instruments_span IS 'The sentence or PubMed field outcome_instruments was read from';
COMMENT ON COLUMN studies.outcome_instruments_confidence IS 'Confidence of outcome_instruments, 0 to 1';
COMMENT ON COLUMN studies.outcome_domains IS 'Outcome domains: pain, function, stiffness, strength, range_of_motion, pressure_pain_threshold, psychological, quality_of_life, medication_use, adverse_events, gait, other';
COMMENT ON COLUMN studies.outcome_domains_source IS 'Where outcome_domains came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.outcome_domains_span IS 'The sentence or PubMed field outcome_domains was read from';
COMMENT ON COLUMN studies.outcome_domains_confidence IS 'Confidence of outcome_domains, 0 to 1';
COMMENT ON COLUMN studies.adverse_events IS 'none_reported, reported or not_mentioned';
COMMENT ON COLUMN studies.adverse_events_source IS 'Where adverse_events came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.adverse_events_span IS 'The sentence or PubMed field adverse_events was read from';
COMMENT ON COLUMN studies.adverse_events_confidence IS 'Confidence of adverse_events, 0 to 1';
COMMENT ON COLUMN studies.direction IS 'Result: favours_dry_needling, no_difference, mixed, favours_comparator, not_applicable, unclear';
COMMENT ON COLUMN studies.direction_source IS 'Where direction came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.direction_span IS 'The sentence or PubMed field direction was read from';
COMMENT ON COLUMN studies.direction_confidence IS 'Confidence of direction, 0 to 1';
COMMENT ON COLUMN studies.registration IS 'Trial or review registry id (NCT, ISRCTN, ACTRN, IRCT, ChiCTR, CRD, DRKS, CTRI)';
COMMENT ON COLUMN studies.registration_source IS 'Where registration came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.registration_span IS 'The sentence or PubMed field registration was read from';
COMMENT ON COLUMN studies.registration_confidence IS 'Confidence of registration, 0 to 1';
COMMENT ON COLUMN studies.certainty IS 'GRADE certainty stated by a review: very_low, low, moderate, high';
COMMENT ON COLUMN studies.certainty_source IS 'Where certainty came from: abstract, title, publication_types, databanks, mesh_terms or keywords';
COMMENT ON COLUMN studies.certainty_span IS 'The sentence or PubMed field certainty was read from';
COMMENT ON COLUMN studies.certainty_confidence IS 'Confidence of certainty, 0 to 1';

CREATE TABLE IF NOT EXISTS study_versions (
    pmid VARCHAR NOT NULL, extractor_version VARCHAR, facts JSON, facts_hash VARCHAR, run_id VARCHAR, recorded_at TIMESTAMP);
COMMENT ON TABLE study_versions IS 'History of extracted facts: a row whenever the facts of a PMID change (new abstract or new extractor)';
COMMENT ON COLUMN study_versions.pmid IS 'PubMed identifier';
COMMENT ON COLUMN study_versions.extractor_version IS 'Extractor version that produced these facts';
COMMENT ON COLUMN study_versions.facts IS 'The extracted values (JSON object of the study fields)';
COMMENT ON COLUMN study_versions.facts_hash IS 'MD5 of facts, to tell a change';
COMMENT ON COLUMN study_versions.run_id IS 'Run that produced them';
COMMENT ON COLUMN study_versions.recorded_at IS 'When they were recorded (UTC)';

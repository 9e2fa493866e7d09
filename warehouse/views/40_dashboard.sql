-- Views behind the clinicians' dashboard (src/evidence/dashboard). They read the views of
-- 10_studies.sql only, and answer the dashboard's questions in SQL a clinician can run too.

-- One cell of the evidence map: a condition and a design, how many studies, how many people.
CREATE OR REPLACE VIEW evidence_map AS
SELECT coalesce(condition, 'unknown') AS condition,
       coalesce(design, 'unknown') AS design,
       count(*) AS studies,
       CAST(sum(sample_size) AS BIGINT) AS participants,
       count(sample_size) AS studies_with_size,
       count(*) FILTER (WHERE is_retracted) AS retracted
FROM relevant_studies
GROUP BY ALL
ORDER BY condition, design;
COMMENT ON VIEW evidence_map IS 'Relevant studies per condition and design: studies, participants (sum of stated sample sizes; pooled for reviews, planned for protocols), how many state a size, how many are retracted';
COMMENT ON COLUMN evidence_map.condition IS 'Condition (unknown when the abstract does not say)';
COMMENT ON COLUMN evidence_map.design IS 'Study design (unknown when the abstract does not say)';
COMMENT ON COLUMN evidence_map.studies IS 'Relevant studies in the cell';
COMMENT ON COLUMN evidence_map.participants IS 'Sum of the stated sample sizes (null when none states one); pooled for reviews, planned for protocols';
COMMENT ON COLUMN evidence_map.studies_with_size IS 'Studies in the cell that state a sample size';
COMMENT ON COLUMN evidence_map.retracted IS 'Retracted articles in the cell';

CREATE OR REPLACE VIEW studies_by_year AS
SELECT year, design_group, count(*) AS studies
FROM relevant_studies
GROUP BY ALL
ORDER BY year NULLS LAST, design_group;
COMMENT ON VIEW studies_by_year IS 'Relevant studies per publication year and design group (randomised trial, systematic review, protocol, other study, unknown)';
COMMENT ON COLUMN studies_by_year.year IS 'Publication year (null when PubMed gives none)';
COMMENT ON COLUMN studies_by_year.design_group IS 'randomised trial, systematic review, protocol, other study or unknown';
COMMENT ON COLUMN studies_by_year.studies IS 'Relevant studies published that year in that design group';

-- Direction is the study's overall result, not a per-outcome result: the abstracts rarely say more.
CREATE OR REPLACE VIEW outcome_results AS
SELECT domain,
       count(*) AS trials,
       count(*) FILTER (WHERE direction = 'favours_dry_needling') AS favours_dry_needling,
       count(*) FILTER (WHERE direction = 'no_difference') AS no_difference,
       count(*) FILTER (WHERE direction = 'mixed') AS mixed,
       count(*) FILTER (WHERE direction = 'favours_comparator') AS favours_comparator,
       count(*) FILTER (WHERE direction IS NULL OR direction NOT IN
                        ('favours_dry_needling', 'no_difference', 'mixed', 'favours_comparator')) AS other
FROM study_domains
WHERE design_group = 'randomised trial' AND NOT is_retracted
GROUP BY domain
ORDER BY trials DESC, domain;
COMMENT ON VIEW outcome_results IS 'Per outcome domain: randomised trials (not retracted) that measured it, and how many of them favoured dry needling, found no difference, mixed results, favoured the comparator, or other (unclear)';
COMMENT ON COLUMN outcome_results.domain IS 'Outcome domain (pain, function, stiffness, ...)';
COMMENT ON COLUMN outcome_results.trials IS 'Randomised trials, not retracted, that measured the domain';
COMMENT ON COLUMN outcome_results.favours_dry_needling IS 'Of those, trials whose result favoured dry needling';
COMMENT ON COLUMN outcome_results.no_difference IS 'Of those, trials that found no difference';
COMMENT ON COLUMN outcome_results.mixed IS 'Of those, trials with mixed results';
COMMENT ON COLUMN outcome_results.favours_comparator IS 'Of those, trials whose result favoured the comparator';
COMMENT ON COLUMN outcome_results.other IS 'Of those, trials whose result is unclear or not stated';

CREATE OR REPLACE VIEW article_abstracts AS
SELECT pmid, title, abstract
FROM articles
WHERE NOT is_deleted;
COMMENT ON VIEW article_abstracts IS 'Title and abstract text of every current article, to show the source sentences of the study facts in context';
COMMENT ON COLUMN article_abstracts.pmid IS 'PubMed identifier';
COMMENT ON COLUMN article_abstracts.title IS 'Article title (null when PubMed has none)';
COMMENT ON COLUMN article_abstracts.abstract IS 'Abstract as plain text, sections joined in order';

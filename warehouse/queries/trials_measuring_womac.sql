-- Randomised trials that measured WOMAC, any knee condition, newest first.
SELECT pmid, year, title, condition, design, sample_size, max_follow_up_weeks, direction,
       is_retracted, has_erratum
FROM study_outcomes
WHERE instrument = 'WOMAC' AND design_group = 'randomised trial'
ORDER BY year DESC, pmid;

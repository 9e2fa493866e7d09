-- Randomised trials in knee osteoarthritis with at least 6 months (26 weeks) of follow-up:
-- how many people, how long, what was measured, what they found, and the sentence it says so.
SELECT pmid, year, title, sample_size, max_follow_up_weeks, comparator,
       outcome_instruments, outcome_domains, direction, is_retracted, has_erratum, key_sentence
FROM rcts
WHERE condition = 'knee_oa' AND max_follow_up_weeks >= 26
ORDER BY year DESC, pmid;

-- Planned or ongoing trials (published protocols): condition, planned size, registration, what is compared.
SELECT pmid, year, title, condition, sample_size AS planned_sample_size, registration,
       intervention, comparator, outcome_instruments, entrez_date
FROM ongoing_trials
ORDER BY entrez_date DESC NULLS LAST, pmid;

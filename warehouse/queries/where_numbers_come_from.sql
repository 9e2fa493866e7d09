-- Where each number of the knee-OA trials came from: the fact, its value and the sentence (or PubMed field).
SELECT e.pmid, e.field, e.value, e.source, e.confidence, e.span
FROM study_evidence e
WHERE e.pmid IN (SELECT pmid FROM rcts WHERE condition = 'knee_oa')
  AND e.field IN ('design', 'sample_size', 'max_follow_up_weeks', 'outcome_instruments', 'direction')
ORDER BY e.pmid, e.field;

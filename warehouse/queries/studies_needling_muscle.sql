-- Which muscles the relevant studies needled, and how many studies and people per muscle.
SELECT muscle, count(*) AS studies, sum(sample_size) FILTER (WHERE design_group <> 'systematic review') AS participants,
       list(pmid ORDER BY pmid) AS pmids
FROM study_muscles
GROUP BY muscle
ORDER BY studies DESC, muscle;

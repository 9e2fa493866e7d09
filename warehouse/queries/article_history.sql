-- Every version of one article and of its extracted facts, oldest first (here the newest knee-OA trial;
-- put a PMID instead, e.g. article_history('12345678')).
SELECT *
FROM article_history((SELECT max(pmid) FROM rcts WHERE condition = 'knee_oa'));

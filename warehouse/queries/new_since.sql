-- What changed in the last 7 days: articles added, changed or withdrawn, and new extracted facts.
-- Put any date instead, e.g. changed_since('2026-01-31').
SELECT changed_at, pmid, change, what, title, is_retracted, has_erratum
FROM changed_since(current_date - INTERVAL 7 DAY)
ORDER BY changed_at, pmid, change;

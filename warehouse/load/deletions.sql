-- PubMed withdrew these PMIDs (DeleteCitation): flag them, keep the rows, record the change.
INSERT INTO article_versions
SELECT a.pmid, a.version, 'deleted', NULL, a.content_hash, $run_id, $now
FROM articles a WHERE a.pmid IN (SELECT pmid FROM incoming_deletions) AND NOT a.is_deleted;

UPDATE articles SET is_deleted = true, last_changed_run_id = $run_id, last_changed_at = $now
WHERE pmid IN (SELECT pmid FROM incoming_deletions) AND NOT is_deleted;

-- Classify the incoming batch against what the warehouse holds: new, updated, unchanged or older.
CREATE OR REPLACE TEMP TABLE batch_changes AS
SELECT i.pmid, i.version, i.content_hash,
       CASE WHEN a.pmid IS NULL THEN 'new'
            WHEN i.version < a.version THEN 'older'
            WHEN a.content_hash = i.content_hash AND NOT a.is_deleted THEN 'unchanged'
            ELSE 'updated' END AS change,
       list_filter([
           CASE WHEN a.version IS DISTINCT FROM i.version THEN 'version' END,
           CASE WHEN a.facet_hashes.citation IS DISTINCT FROM i.facet_hashes.citation THEN 'citation' END,
           CASE WHEN a.facet_hashes.abstract IS DISTINCT FROM i.facet_hashes.abstract THEN 'abstract' END,
           CASE WHEN a.facet_hashes.authors IS DISTINCT FROM i.facet_hashes.authors THEN 'authors' END,
           CASE WHEN a.facet_hashes.mesh IS DISTINCT FROM i.facet_hashes.mesh THEN 'mesh' END,
           CASE WHEN a.facet_hashes.publication_types IS DISTINCT FROM i.facet_hashes.publication_types THEN 'publication_types' END,
           CASE WHEN a.facet_hashes.corrections IS DISTINCT FROM i.facet_hashes.corrections THEN 'corrections' END,
           CASE WHEN a.facet_hashes.ids IS DISTINCT FROM i.facet_hashes.ids THEN 'ids' END,
           CASE WHEN a.is_deleted THEN 'restored' END], x -> x IS NOT NULL) AS changed_parts,
       a.first_run_id, a.first_seen_at
FROM incoming_articles i LEFT JOIN articles a USING (pmid);

INSERT INTO article_versions
SELECT pmid, version, change,
       CASE WHEN change = 'new' THEN NULL WHEN len(changed_parts) = 0 THEN ['dates'] ELSE changed_parts END,
       content_hash, $run_id, $now
FROM batch_changes WHERE change IN ('new', 'updated');

DELETE FROM articles WHERE pmid IN (SELECT pmid FROM batch_changes WHERE change = 'updated');

INSERT INTO articles BY NAME
SELECT i.*, false AS is_deleted,
       coalesce(c.first_run_id, $run_id) AS first_run_id, $run_id AS last_changed_run_id,
       coalesce(c.first_seen_at, $now) AS first_seen_at, $now AS last_changed_at
FROM incoming_articles i JOIN batch_changes c USING (pmid)
WHERE c.change IN ('new', 'updated');

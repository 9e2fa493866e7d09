-- Replace the rows of one child table for the articles that changed in this batch.
-- {table} is filled in from a fixed list of table names (never from input).
DELETE FROM {table} WHERE pmid IN (SELECT pmid FROM batch_changes WHERE change IN ('new', 'updated'));
INSERT INTO {table} BY NAME
SELECT * FROM incoming_{table} WHERE pmid IN (SELECT pmid FROM batch_changes WHERE change IN ('new', 'updated'));

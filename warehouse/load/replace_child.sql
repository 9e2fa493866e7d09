-- Replace the rows of one child table for the articles that changed in this batch.
-- {table} is filled in from a fixed list of table names (never from input).
-- load.py runs the DELETE only when the batch updates articles the warehouse already holds (a new
-- PMID has no rows in any child table), and the filtered INSERT only when some of the batch is
-- unchanged or older (otherwise load/insert_child.sql inserts the whole incoming frame).
DELETE FROM {table} WHERE pmid IN (SELECT pmid FROM batch_changes WHERE change IN ('new', 'updated'));
INSERT INTO {table} BY NAME
SELECT * FROM incoming_{table} WHERE pmid IN (SELECT pmid FROM batch_changes WHERE change IN ('new', 'updated'));

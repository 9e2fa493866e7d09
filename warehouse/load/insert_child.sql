-- Every article of the batch is new or updated (a first ingest, a rebuild): its child rows go in as they are.
-- {table} is filled in from a fixed list of table names (never from input).
INSERT INTO {table} BY NAME SELECT * FROM incoming_{table};
